// Names behind ids, loaded once per session and shared by the approvals and commerce screens:
// users (approvers, submitters), products (quote lines, price changes), units and budgets.
import { reactive } from 'vue'
import { api } from '@/api'
import { session } from '@/session'

export interface Product { id: number; name: string; name_en?: string; sku?: string; price: number; category_path?: string; status?: string }
export interface Unit { id: number; name: string; name_en?: string; kind?: string; parent_id?: number | null; path?: string }

export const names = reactive({
  users: {} as Record<number, string>,
  products: {} as Record<number, Product>,
  units: {} as Record<number, Unit>,
})

const loading: Record<string, Promise<void> | undefined> = {}

function once(key: string, f: () => Promise<void>): Promise<void> {
  if (!loading[key]) loading[key] = f().catch((e) => { loading[key] = undefined; throw e })
  return loading[key]!
}

export function loadUsers() {
  return once('users', async () => {
    const list = await api.all<{ id: number; display_name?: string; username: string }>('/users')
    for (const u of list) names.users[u.id] = u.display_name || u.username
  })
}

export function loadProducts() {
  return once('products', async () => {
    const list = await api.all<Product>('/products')
    for (const p of list) names.products[p.id] = p
  })
}

export function loadUnits() {
  return once('units', async () => {
    const list = await api.all<Unit>('/units')
    for (const u of list) names.units[u.id] = u
  })
}

export function userName(id: number | null | undefined): string {
  if (id === null || id === undefined) return '—'
  return names.users[id] ?? '#' + id
}

export function meId(): number {
  return session.me?.user?.id ?? 0
}

// Tag colours by status, for every object of these screens.
export function statusType(s: string | null | undefined): 'success' | 'warning' | 'danger' | 'info' | 'primary' {
  switch (s) {
    case 'approved': case 'executed': case 'applied': case 'accepted': case 'signed': case 'active': case 'posted': case 'done':
      return 'success'
    case 'pending': case 'pending_approval': case 'expiring': case 'sent': case 'escalated':
      return 'warning'
    case 'rejected': case 'failed': case 'declined': case 'expired': case 'terminated':
      return 'danger'
    case 'draft': case 'recalled': case 'not_needed': case 'cancelled':
      return 'info'
    default:
      return 'primary'
  }
}
