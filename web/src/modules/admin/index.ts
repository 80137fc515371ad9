// System administration: users, roles and delegation grants, API keys, webhooks, import and
// export, tenant settings, the audit log and the event log.
import type { KeelModule } from '../index'
import { zh, en } from './messages'

const mod: KeelModule = {
  name: 'admin',
  routes: [
    { path: '/admin/users', component: () => import('./Users.vue'), meta: { title: 'admin.nav.users', group: 'admin', icon: 'User', order: 10, roles: ['admin'] } },
    { path: '/admin/grants', component: () => import('./Grants.vue'), meta: { title: 'admin.nav.grants', group: 'admin', icon: 'Key', order: 20, roles: ['admin', 'hq_ops', 'unit_lead', 'supervisor'] } },
    { path: '/admin/api-keys', component: () => import('./ApiKeys.vue'), meta: { title: 'admin.nav.keys', group: 'admin', icon: 'Lock', order: 30, roles: ['admin'] } },
    { path: '/admin/webhooks', component: () => import('./Webhooks.vue'), meta: { title: 'admin.nav.hooks', group: 'admin', icon: 'Connection', order: 40, roles: ['admin'] } },
    { path: '/admin/import', component: () => import('./ImportExport.vue'), meta: { title: 'admin.nav.io', group: 'admin', icon: 'Upload', order: 50, roles: ['admin', 'hq_ops'] } },
    { path: '/admin/tenant', component: () => import('./Tenant.vue'), meta: { title: 'admin.nav.tenant', group: 'admin', icon: 'OfficeBuilding', order: 60, roles: ['admin'] } },
    { path: '/admin/audit-log', component: () => import('./AuditLog.vue'), meta: { title: 'admin.nav.audit', group: 'admin', icon: 'Document', order: 70, roles: ['admin', 'auditor'] } },
    { path: '/admin/events', component: () => import('./Events.vue'), meta: { title: 'admin.nav.events', group: 'admin', icon: 'List', order: 80, roles: ['admin', 'hq_ops', 'analyst', 'auditor'] } },
  ],
  messages: { 'zh-CN': zh, en },
}
export default mod
