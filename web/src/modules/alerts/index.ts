// 告警中心: the alerts inbox with acknowledgement, escalation and silences, live from the
// event stream; and the in-app notifications (with the delivery log for admins and auditors).
import type { KeelModule } from '../index'

const zh = {
  nav: { alerts: '告警中心', notifications: '我的通知' },
  inbox: '告警', silences: '静默', severity: '级别', rule: '规则', summary: '告警内容', value: '当前值', started: '开始时间',
  state: { firing: '触发中', resolved: '已恢复', all: '全部' }, sev: { critical: '严重', warning: '警告', info: '提示' },
  unackedOnly: '仅未确认', count: '共 {n} 条', ack: '确认', acked: '已确认', ackDone: '已确认，升级已停止', silence: '静默',
  escalation: '升级路径', step: '当前步骤', nextStep: '下次升级', stoppedByAck: '已确认，不再升级', task: '跟进任务', resolvedAt: '恢复时间',
  notified: '已通知', showNotified: '查看通知记录', time: '时间', channel: '渠道', target: '对象', recipient: '接收人', attempts: '尝试次数', error: '错误',
  delivery: { delivered: '已送达', pending: '待发送', failed: '失败', retrying: '重试中', muted: '已静默', inhibited: '已抑制' },
  wait: '等待 {d}', notify: '通知{who}',
  who: { unit_lead: '单元负责人', hq: '总部运营', owner: '负责销售', supervisor: '主管', role_hq_ops: '总部运营', role_admin: '管理员' },
  dim: { unit: '单元', region: '大区', rep: '销售', store: '门店', channel: '渠道' },
  newAlert: '新告警', newSilence: '新建静默', anyRule: '所有规则', matchers: '匹配条件', matcherValue: 'ID 或值', addMatcher: '添加条件',
  duration: '时长', comment: '备注', createSilence: '开始静默', silenced: '已静默', silenceEnded: '静默已结束', endSilence: '结束', from: '开始', until: '结束于',
  mine: '我的', deliveryLog: '投递日志',
}
const en: typeof zh = {
  nav: { alerts: 'Alerts', notifications: 'Notifications' },
  inbox: 'Alerts', silences: 'Silences', severity: 'Severity', rule: 'Rule', summary: 'Alert', value: 'Value', started: 'Started',
  state: { firing: 'Firing', resolved: 'Resolved', all: 'All' }, sev: { critical: 'Critical', warning: 'Warning', info: 'Info' },
  unackedOnly: 'Unacknowledged only', count: '{n} alerts', ack: 'Acknowledge', acked: 'Acknowledged', ackDone: 'Acknowledged; escalation stopped', silence: 'Silence',
  escalation: 'Escalation', step: 'Current step', nextStep: 'Next escalation', stoppedByAck: 'Acknowledged, no further escalation', task: 'Follow-up task', resolvedAt: 'Resolved',
  notified: 'Notified', showNotified: 'Show who was notified', time: 'Time', channel: 'Channel', target: 'Target', recipient: 'Recipient', attempts: 'Attempts', error: 'Error',
  delivery: { delivered: 'Delivered', pending: 'Pending', failed: 'Failed', retrying: 'Retrying', muted: 'Muted', inhibited: 'Inhibited' },
  wait: 'Wait {d}', notify: 'Notify {who}',
  who: { unit_lead: 'unit lead', hq: 'HQ ops', owner: 'owning rep', supervisor: 'supervisor', role_hq_ops: 'HQ ops', role_admin: 'admins' },
  dim: { unit: 'Unit', region: 'Region', rep: 'Rep', store: 'Store', channel: 'Channel' },
  newAlert: 'New alert', newSilence: 'New silence', anyRule: 'Any rule', matchers: 'Matchers', matcherValue: 'Id or value', addMatcher: 'Add matcher',
  duration: 'Duration', comment: 'Comment', createSilence: 'Start silence', silenced: 'Silenced', silenceEnded: 'Silence ended', endSilence: 'End', from: 'From', until: 'Until',
  mine: 'Mine', deliveryLog: 'Delivery log',
}

const mod: KeelModule = {
  name: 'alerts',
  routes: [
    { path: '/alerts', component: () => import('./Alerts.vue'), meta: { title: 'alerts.nav.alerts', group: 'overview', icon: 'Bell', order: 5 } },
    { path: '/notifications', component: () => import('./Notifications.vue'), meta: { title: 'alerts.nav.notifications', group: 'overview', icon: 'Message', order: 6 } },
  ],
  messages: { 'zh-CN': zh, en },
}
export default mod
