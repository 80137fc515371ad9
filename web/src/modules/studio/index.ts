// The low-code studio: metrics, alert rules, approval workflows, custom fields and event types,
// with formulas written in a CodeMirror editor checked by the server as you type.
import type { KeelModule } from '../index'
import { zh, en } from './messages'

const HQ = ['admin', 'hq_ops']
const HQ_READ = ['admin', 'hq_ops', 'analyst', 'auditor']

const mod: KeelModule = {
  name: 'studio',
  routes: [
    { path: '/studio/metrics', component: () => import('./MetricList.vue'), meta: { title: 'studio.nav.metrics', group: 'studio', icon: 'DataLine', order: 1, roles: HQ_READ } },
    { path: '/studio/metrics/:name', component: () => import('./MetricEdit.vue'), meta: { title: 'studio.nav.metric', group: 'studio', menu: false, roles: HQ_READ } },
    { path: '/studio/alert-rules', component: () => import('./RuleList.vue'), meta: { title: 'studio.nav.rules', group: 'studio', icon: 'AlarmClock', order: 2, roles: HQ_READ } },
    { path: '/studio/alert-rules/:name', component: () => import('./RuleEdit.vue'), meta: { title: 'studio.nav.rule', group: 'studio', menu: false, roles: HQ_READ } },
    { path: '/studio/workflows', component: () => import('./Workflows.vue'), meta: { title: 'studio.nav.workflows', group: 'studio', icon: 'Share', order: 3, roles: HQ_READ } },
    { path: '/studio/custom-fields', component: () => import('./CustomFields.vue'), meta: { title: 'studio.nav.customFields', group: 'studio', icon: 'Grid', order: 4, roles: HQ_READ } },
    { path: '/studio/event-types', component: () => import('./EventTypes.vue'), meta: { title: 'studio.nav.eventTypes', group: 'studio', icon: 'Connection', order: 5, roles: HQ_READ } },
  ],
  messages: { 'zh-CN': zh, en },
}
export default mod
