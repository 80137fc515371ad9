// Reference data the admin screens share: units (as a tree for pickers) and users (for names),
// loaded once per visit and refreshed after changes; role names; small form helpers.
import { ref } from 'vue'
import { api, ApiError } from '@/api'
import { pick, i18n } from '@/i18n'

export const ROLES = ['admin', 'hq_ops', 'unit_lead', 'supervisor', 'rep', 'analyst', 'auditor'] as const

export interface Unit {
  id: number
  code: string
  name: string
  name_en?: string | null
  parent_id: number | null
  kind: string
  path: string
  archived_at?: string | null
}

export interface UserRow {
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

export const units = ref<Unit[]>([])
export const users = ref<UserRow[]>([])
let unitsLoaded: Promise<void> | null = null
let usersLoaded: Promise<void> | null = null

export function loadUnits(force = false): Promise<void> {
  if (!unitsLoaded || force) {
    unitsLoaded = api.all<Unit>('/units', {}, 5000).then((u) => {
      units.value = u
    })
    unitsLoaded.catch(() => (unitsLoaded = null))
  }
  return unitsLoaded
}

// Every user including archived ones, so old records still show a name.
export function loadUsers(force = false): Promise<void> {
  if (!usersLoaded || force) {
    usersLoaded = api.all<UserRow>('/users', { include_archived: true }, 20000).then((u) => {
      users.value = u
    })
    usersLoaded.catch(() => (usersLoaded = null))
  }
  return usersLoaded
}

export function unitName(id: number | null | undefined): string {
  if (!id) return '—'
  const u = units.value.find((x) => x.id === id)
  return u ? pick(u.name, u.name_en) : '#' + id
}

export function userName(id: number | null | undefined): string {
  if (id === 0) return g.t('admin.common.system')
  if (!id) return '—'
  const u = users.value.find((x) => x.id === id)
  return u ? `${u.display_name} (${u.username})` : '#' + id
}

export interface TreeNode {
  value: number
  label: string
  children?: TreeNode[]
}

// Units as a tree for el-tree-select, in code order under each parent.
export function unitTree(): TreeNode[] {
  const byParent = new Map<number | null, Unit[]>()
  const ids = new Set(units.value.map((u) => u.id))
  for (const u of units.value) {
    const p = u.parent_id && ids.has(u.parent_id) ? u.parent_id : null
    if (!byParent.has(p)) byParent.set(p, [])
    byParent.get(p)!.push(u)
  }
  const build = (p: number | null): TreeNode[] =>
    (byParent.get(p) ?? [])
      .sort((a, b) => a.code.localeCompare(b.code))
      .map((u) => {
        const children = build(u.id)
        return { value: u.id, label: pick(u.name, u.name_en), ...(children.length ? { children } : {}) }
      })
  return build(null)
}

// Whether unit `id` lies in the subtree of unit `root`.
export function inSubtree(id: number | null | undefined, root: number): boolean {
  if (!id) return false
  const u = units.value.find((x) => x.id === id)
  return !!u && u.path.includes('/' + root + '/')
}

// The global translator, typed loosely (the merged message tree is too deep for inference).
const g = i18n.global as unknown as { t(k: string, p?: Record<string, unknown>): string; te(k: string): boolean }

export function roleName(r: string): string {
  return g.te('admin.roles.' + r) ? g.t('admin.roles.' + r) : r
}

// The server's error text when it is about `field`, for el-form-item's error slot.
export function fieldError(e: unknown, field: string, locale: string): string {
  return e instanceof ApiError && e.field === field ? e.text(locale) : ''
}
