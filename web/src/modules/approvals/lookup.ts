// Names behind ids, loaded once per session and shared by the approvals and commerce screens:
// users (approvers, submitters), products (quote lines, price changes), units and budgets.
import { session } from '@/session'

// The names come from the shared reference cache (src/refs.ts).
export { loadProducts, loadUnits, loadUsers, userName, productName, refs as names } from '@/refs'
export type { RefProduct as Product, RefUnit as Unit } from '@/refs'

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
