// What the admin screens share: units as a tree for pickers, users' names, role names, small form
// helpers.
import { ApiError } from '@/api'
import { pick, i18n } from '@/i18n'
import { unitList as units, userName as sharedUserName, type RefUnit as Unit } from '@/refs'

export const ROLES = ['admin', 'hq_ops', 'unit_lead', 'supervisor', 'rep', 'analyst', 'auditor'] as const

// Units and users come from the shared reference cache (src/refs.ts); admin screens name people
// with their login: "Display name (username)".
export type { RefUnit as Unit, RefUser as UserRow } from '@/refs'
export { loadUnits, loadUsers, unitName, unitList as units, userList as users } from '@/refs'
export const userName = (id: number | null | undefined) => sharedUserName(id, true)

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
  return !!u && (u.path ?? '').includes('/' + root + '/')
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
