// Shared by the accounting and governance screens: the unit tree (what the caller sees),
// periods (month / quarter / year), ledger account labels, and people's names.
import { api } from '@/api'
import { pick } from '@/i18n'
import { session, hasRole } from '@/session'
import { today } from '@/format'
import { loadUnits as loadRefUnits, loadUsers, unitList, userList, type RefUnit as Unit } from '@/refs'

export type { RefUnit as Unit } from '@/refs'

export interface UnitNode extends Unit {
  label: string
  value: number
  children: UnitNode[]
}

export const HQ_ROLES = ['admin', 'hq_ops', 'analyst', 'auditor']
export const HQ_WRITERS = ['admin', 'hq_ops']
export const isHq = () => hasRole(...HQ_ROLES)
export const isHqWriter = () => hasRole(...HQ_WRITERS)

// Units from the shared reference cache (src/refs.ts), with the fields these screens read.
export function loadUnits(force = false): Promise<Unit[]> {
  return loadRefUnits(force).then(() => unitList.value)
}

export function unitLabel(u: Pick<Unit, 'name' | 'name_en'> | undefined | null): string {
  return u ? pick(u.name, u.name_en) : ''
}

// The units the caller works with: HQ roles all, everyone else their home unit's subtree.
export function visibleUnits(units: Unit[]): Unit[] {
  if (isHq()) return units
  const home = session.me?.user?.unit_id
  if (!home) return []
  return units.filter((u) => u.id === home || (u.path ?? '').includes('/' + home + '/'))
}

export function buildTree(units: Unit[]): UnitNode[] {
  const nodes = new Map<number, UnitNode>()
  for (const u of units) nodes.set(u.id, { ...u, label: unitLabel(u), value: u.id, children: [] })
  const roots: UnitNode[] = []
  for (const n of nodes.values()) {
    const p = n.parent_id ? nodes.get(n.parent_id) : undefined
    if (p) p.children.push(n)
    else roots.push(n)
  }
  return roots
}

export function homeUnitId(units: Unit[]): number | null {
  const vis = visibleUnits(units)
  if (isHq()) return vis.find((u) => u.kind === 'hq')?.id ?? vis[0]?.id ?? null
  return session.me?.user?.unit_id ?? vis[0]?.id ?? null
}

// ---- periods ----
export type PeriodKind = 'month' | 'quarter' | 'year'

export function thisMonth(): string {
  return today().slice(0, 7)
}
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number)
  const i = y * 12 + (m - 1) + n
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`
}
export function lastMonth(): string {
  return addMonths(thisMonth(), -1)
}
export function periodKind(p: string): PeriodKind {
  if (/^\d{4}-Q[1-4]$/.test(p)) return 'quarter'
  if (/^\d{4}$/.test(p)) return 'year'
  return 'month'
}
export function quarterOf(month: string): string {
  const [y, m] = month.split('-').map(Number)
  return `${y}-Q${Math.floor((m - 1) / 3) + 1}`
}
export function previousPeriod(p: string): string {
  const k = periodKind(p)
  if (k === 'year') return String(Number(p) - 1)
  if (k === 'quarter') {
    const y = Number(p.slice(0, 4))
    const q = Number(p.slice(6))
    return q === 1 ? `${y - 1}-Q4` : `${y}-Q${q - 1}`
  }
  return addMonths(p, -1)
}
export function monthsOf(p: string): string[] {
  const k = periodKind(p)
  if (k === 'month') return [p]
  const y = p.slice(0, 4)
  const first = k === 'year' ? 1 : (Number(p.slice(6)) - 1) * 3 + 1
  const n = k === 'year' ? 12 : 3
  return Array.from({ length: n }, (_, i) => `${y}-${String(first + i).padStart(2, '0')}`).filter((m) => m <= thisMonth())
}
// Choices for a period picker, newest first.
export function periodChoices(kind: PeriodKind): string[] {
  const cur = thisMonth()
  if (kind === 'month') return Array.from({ length: 24 }, (_, i) => addMonths(cur, -i))
  if (kind === 'quarter') {
    const out: string[] = []
    let q = quarterOf(cur)
    for (let i = 0; i < 8; i++) {
      out.push(q)
      q = previousPeriod(q)
    }
    return out
  }
  const y = Number(cur.slice(0, 4))
  return [y, y - 1, y - 2, y - 3].map(String)
}

// ---- ledger accounts ----
export const ACCOUNT_LABELS: Record<string, [string, string]> = {
  revenue: ['营业收入', 'Revenue'],
  cogs: ['销售成本', 'Cost of goods sold'],
  commission: ['销售提成', 'Commission'],
  allocation: ['总部分摊', 'HQ allocation'],
}
export const CATEGORY_LABELS: Record<string, [string, string]> = {
  travel: ['差旅', 'Travel'],
  marketing: ['市场推广', 'Marketing'],
  samples: ['样品', 'Samples'],
  promotions: ['促销', 'Promotions'],
  training: ['培训', 'Training'],
  other: ['其他', 'Other'],
}
export function categoryLabel(c: string): string {
  const l = CATEGORY_LABELS[c]
  return l ? pick(l[0], l[1]) : c
}
export function accountLabel(a: string): string {
  if (a.startsWith('expense:')) return pick('费用', 'Expense') + ' · ' + categoryLabel(a.slice(8))
  const l = ACCOUNT_LABELS[a]
  return l ? pick(l[0], l[1]) : a
}
export const ACCOUNTS = ['revenue', 'cogs', 'commission', 'allocation', ...Object.keys(CATEGORY_LABELS).map((c) => 'expense:' + c)]

// ---- people ----
// Names of people by id, when the caller may list users (otherwise ids are shown).
export function loadUserNames(): Promise<Map<number, string>> {
  return loadUsers()
    .then(() => new Map(userList.value.map((u) => [u.id, u.display_name || u.username])))
    .catch(() => new Map())
}
