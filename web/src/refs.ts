// Reference data every screen names things by: users, units and products by id, each list
// loaded once per session (on first use) and shared by all screens; `force` reloads it after
// a change. A load that fails rejects and is tried again next time; the names then show as
// '#id'. Users include archived ones, so old records keep their names.
import { computed, reactive } from 'vue'
import { api, type Item, type Query } from './api'
import { i18n, pick } from './i18n'

// The records as the document describes GET /users, /units and /products items.
export type RefUser = Item<'/users'>
export type RefUnit = Item<'/units'>
export type RefProduct = Item<'/products'>

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

function cached(kind: 'users' | 'units' | 'products', query: Query, max: number, force: boolean): Promise<void> {
  if (!loading[kind] || force) {
    const p = api.ALL(`/${kind}`, query, max).then((list) => {
      refs[kind] = Object.fromEntries(list.map((x) => [x.id, x])) as any
    })
    p.catch(() => {
      if (loading[kind] === p) loading[kind] = undefined
    })
    loading[kind] = p
  }
  return loading[kind]!
}

export const loadUsers = (force = false) => cached('users', { include_archived: true }, 20000, force)
export const loadUnits = (force = false) => cached('units', {}, 5000, force)
export const loadProducts = (force = false) => cached('products', {}, 20000, force)

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
