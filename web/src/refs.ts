// Reference data every screen names things by: users, units and products by id, each list
// loaded once per session (on first use) and shared by all screens; `force` reloads it after
// a change. A load that fails rejects and is tried again next time; the names then show as
// '#id'. Users include archived ones, so old records keep their names.
import { computed, reactive } from 'vue'
import { api } from './api'
import { i18n, pick } from './i18n'

export interface RefUser {
  id: number
  username: string
  display_name: string
  role: string
  unit_id: number
  supervisor_id: number | null
  status: string | null
  email?: string | null
  phone?: string | null
  locale?: string | null
  last_login_at?: string | null
  archived_at?: string | null
  created_at?: string
}

export interface RefUnit {
  id: number
  code: string
  name: string
  name_en?: string | null
  parent_id: number | null
  kind: string
  path: string
  archived_at?: string | null
}

export interface RefProduct {
  id: number
  name: string
  name_en?: string
  sku?: string
  price: number
  category_path?: string
  status?: string
}

// By id; read them in templates and computeds (they are reactive).
export const refs = reactive({
  users: {} as Record<number, RefUser>,
  units: {} as Record<number, RefUnit>,
  products: {} as Record<number, RefProduct>,
})
export const userList = computed(() => Object.values(refs.users))
export const unitList = computed(() => Object.values(refs.units))
export const productList = computed(() => Object.values(refs.products))

const loading: Record<string, Promise<void> | undefined> = {}

function cached<T extends { id: number }>(kind: 'users' | 'units' | 'products', path: string, query: Record<string, any>, max: number, force: boolean): Promise<void> {
  if (!loading[kind] || force) {
    const p = api.all<T>(path, query, max).then((list) => {
      refs[kind] = Object.fromEntries(list.map((x) => [x.id, x])) as any
    })
    p.catch(() => {
      if (loading[kind] === p) loading[kind] = undefined
    })
    loading[kind] = p
  }
  return loading[kind]!
}

export const loadUsers = (force = false) => cached<RefUser>('users', '/users', { include_archived: true }, 20000, force)
export const loadUnits = (force = false) => cached<RefUnit>('units', '/units', {}, 5000, force)
export const loadProducts = (force = false) => cached<RefProduct>('products', '/products', {}, 20000, force)

// "Display name", or with `login` "Display name (username)" as the admin screens show people;
// id 0 is the system itself (audit entries, automatic steps).
export function userName(id: number | null | undefined, login = false): string {
  if (id === 0) return i18n.global.t('common.system')
  if (!id) return '—'
  const u = refs.users[id]
  if (!u) return '#' + id
  return login ? `${u.display_name} (${u.username})` : u.display_name || u.username
}

// A unit's name in the reader's language; `fallback` (e.g. the name a record carries) when the
// unit is not in the cache.
export function unitName(id: number | null | undefined, fallback?: string | null): string {
  if (!id) return '—'
  const u = refs.units[id]
  return u ? pick(u.name, u.name_en) : fallback ?? '#' + id
}

export function productName(id: number | null | undefined): string {
  if (!id) return '—'
  const p = refs.products[id]
  return p ? pick(p.name, p.name_en) : '#' + id
}
