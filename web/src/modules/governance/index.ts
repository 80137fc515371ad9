import type { KeelModule } from '../index'

const zh = {
  nav: { units: '组织与单元', compliance: '合规检查点', reports: '授权报备' },
  kind: { hq: '总部', region: '大区', unit: '战队', store: '门店' },
  units: {
    filter: '按名称、编码或城市筛选', showStores: '显示门店', new: '新建单元', lead: '负责人', pnl: '单元损益', ledger: '合并视图',
    archive: '归档', overview: '概况', name: '名称', nameEn: '英文名称', code: '编码', kind: '层级', parent: '上级单元', city: '城市',
    children: '直属下级', members: '成员', sandbox: '权限沙箱', boundaries: '授权边界', editTitle: '编辑单元',
    archiveConfirm: '归档「{name}」？归档后不再出现在列表中，历史数据保留。', archived: '已归档',
  },
  members: {
    headcount: '在岗人数 {n}', new: '新增成员', name: '姓名', role: '角色', lastLogin: '最近登录', editTitle: '编辑成员',
    username: '用户名', password: '初始密码', supervisor: '直属主管', email: '邮箱', phone: '电话',
  },
  role: { admin: '管理员', hq_ops: '总部销售运营', analyst: '分析师', auditor: '审计', unit_lead: '战队负责人', supervisor: '主管', rep: '销售代表' },
  status: { active: '在岗', disabled: '已停用' },
  sandbox: {
    none: '该单元尚未设置权限沙箱，负责人不能管理成员。', roles: '负责人可授予的角色', max: '人数上限（含负责人）', unlimited: '不限',
    headcount: '当前在岗 {n} 人', mayDisable: '可停用成员', log: '负责人操作记录', actor: '操作人', member: '成员', change: '变更',
  },
  bound: {
    own: '本单元的授权清单', hint: '同一事项按金额分档：自主决定、决定后报备、需审批；金额越大监督不能越少。清空即全部继承上级。',
    inheritAll: '未设置，全部继承上级', action: '事项', mode: '方式', limit: '金额上限（元）', any: '不限金额', note: '备注',
    addTier: '添加一档', save: '保存授权清单', effective: '实际生效（就近单元优先）', from: '继承自 {unit}', default: '默认',
    ownTiers: '本单元设定', anyAmount: '任意金额', upTo: '不超过 {v}', above: '超过 {v}', test: '试算：某金额需要怎样处理',
    check: '试算', tierLimit: '适用档位上限 {v}', fromUnit: '来自单元 #{id}',
  },
  mode: { alone: '自主决定', report: '决定后报备', approval: '需审批' },
  action: { expense: '费用报销', budget_transfer: '预算调剂', discount: '折扣', contract: '合同', price_change: '调价', member_change: '人员变动' },
  comp: {
    checkpoints: '检查点', object: '对象', on: '时机', new: '新建检查点', when: '触发条件', action: '处理', active: '启用',
    events: '合规事件', outcome: '结果', checkpoint: '检查点', record: '记录', actor: '操作人', reason: '放行理由',
    editTitle: '编辑检查点', whenHint: '公式语言，可用记录字段；有明细的对象可用 line_字段、line_category、line_sku，任一明细满足即触发。',
    messageZh: '提示（中文）', messageEn: '提示（英文）', deleteConfirm: '删除检查点「{name}」？',
  },
  on: { submit: '提交时', sign: '签约时', post: '入账时', create: '创建时' },
  cpAction: { block: '拦截', flag: '标记' },
  outcome: { flagged: '已标记', blocked: '已拦截', overridden: '已放行' },
  object: { quotes: '报价', contracts: '合同', orders: '订单', expenses: '费用报销', opportunities: '商机', budget_transfers: '预算调剂', price_changes: '调价' },
  reports: {
    new: '报备一项决定', empty: '暂无报备', summary: '说明', needsApproval: '该金额超出授权边界，需走审批，不能仅报备。', sent: '已报备总部',
  },
}

const en: typeof zh = {
  nav: { units: 'Organisation', compliance: 'Compliance', reports: 'Boundary reports' },
  kind: { hq: 'HQ', region: 'Region', unit: 'Unit', store: 'Store' },
  units: {
    filter: 'Filter by name, code or city', showStores: 'Show stores', new: 'New unit', lead: 'Lead', pnl: 'P&L', ledger: 'Consolidated view',
    archive: 'Archive', overview: 'Overview', name: 'Name', nameEn: 'English name', code: 'Code', kind: 'Level', parent: 'Parent unit', city: 'City',
    children: 'Direct children', members: 'Members', sandbox: 'Sandbox', boundaries: 'Boundaries', editTitle: 'Edit unit',
    archiveConfirm: 'Archive “{name}”? It leaves the lists; its history is kept.', archived: 'Archived',
  },
  members: {
    headcount: '{n} active', new: 'Add member', name: 'Name', role: 'Role', lastLogin: 'Last login', editTitle: 'Edit member',
    username: 'Username', password: 'Initial password', supervisor: 'Supervisor', email: 'Email', phone: 'Phone',
  },
  role: { admin: 'Admin', hq_ops: 'HQ sales ops', analyst: 'Analyst', auditor: 'Auditor', unit_lead: 'Unit lead', supervisor: 'Supervisor', rep: 'Sales rep' },
  status: { active: 'Active', disabled: 'Disabled' },
  sandbox: {
    none: 'No sandbox is set for this unit: its lead cannot manage people.', roles: 'Roles the lead may grant', max: 'Headcount limit (lead included)', unlimited: 'No limit',
    headcount: '{n} active now', mayDisable: 'May disable people', log: "The lead's changes", actor: 'By', member: 'Member', change: 'Change',
  },
  bound: {
    own: "The unit's own boundaries", hint: 'Per action, tiers by amount: decide alone, decide and report, or approval; a larger amount never needs less oversight. An empty list inherits everything.',
    inheritAll: 'None: everything is inherited', action: 'Action', mode: 'Mode', limit: 'Up to (yuan)', any: 'Any amount', note: 'Note',
    addTier: 'Add a tier', save: 'Save boundaries', effective: 'Effective (nearest unit wins)', from: 'inherited from {unit}', default: 'default',
    ownTiers: 'own tiers', anyAmount: 'any amount', upTo: 'up to {v}', above: 'above {v}', test: 'Try an amount',
    check: 'Check', tierLimit: 'tier limit {v}', fromUnit: 'from unit #{id}',
  },
  mode: { alone: 'Alone', report: 'Report', approval: 'Approval' },
  action: { expense: 'Expense', budget_transfer: 'Budget transfer', discount: 'Discount', contract: 'Contract', price_change: 'Price change', member_change: 'Member change' },
  comp: {
    checkpoints: 'Checkpoints', object: 'Object', on: 'On', new: 'New checkpoint', when: 'Condition', action: 'Action', active: 'Active',
    events: 'Events', outcome: 'Outcome', checkpoint: 'Checkpoint', record: 'Record', actor: 'By', reason: 'Override reason',
    editTitle: 'Edit checkpoint', whenHint: "The formula language over the record's fields; objects with lines add line_<field>, line_category and line_sku, matching when any line does.",
    messageZh: 'Message (Chinese)', messageEn: 'Message (English)', deleteConfirm: 'Delete the checkpoint “{name}”?',
  },
  on: { submit: 'On submit', sign: 'On signing', post: 'On posting', create: 'On create' },
  cpAction: { block: 'Block', flag: 'Flag' },
  outcome: { flagged: 'Flagged', blocked: 'Blocked', overridden: 'Overridden' },
  object: { quotes: 'Quote', contracts: 'Contract', orders: 'Order', expenses: 'Expense claim', opportunities: 'Opportunity', budget_transfers: 'Budget transfer', price_changes: 'Price change' },
  reports: {
    new: 'Report a decision', empty: 'No reports', summary: 'Summary', needsApproval: 'This amount is beyond the boundary: it needs approval, not just a report.', sent: 'Reported to HQ',
  },
}

const mod: KeelModule = {
  name: 'governance',
  routes: [
    { path: '/units', component: () => import('./Units.vue'), meta: { title: 'governance.nav.units', group: 'units', icon: 'OfficeBuilding', order: 30, roles: ['admin', 'hq_ops', 'analyst', 'auditor', 'unit_lead', 'supervisor'] } },
    { path: '/compliance', component: () => import('./Compliance.vue'), meta: { title: 'governance.nav.compliance', group: 'units', icon: 'Checked', order: 31, roles: ['admin', 'hq_ops', 'analyst', 'auditor', 'unit_lead'] } },
    { path: '/boundary-reports', component: () => import('./BoundaryReports.vue'), meta: { title: 'governance.nav.reports', group: 'units', icon: 'Flag', order: 32 } },
  ],
  messages: { 'zh-CN': zh, en },
}
export default mod
