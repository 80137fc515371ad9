import type { KeelModule } from '../index'

const zh = {
  nav: { quotes: '报价单', pricing: '定价授权', contracts: '合同', expenses: '费用报销', policies: '费用标准', budgets: '预算' },
  customer: '客户',
  customerSearch: '搜索客户名称、编码或电话',
  lines: '明细行',
  addLine: '添加一行',
  pickProduct: '选择产品',
  discountPct: '折扣 %',
  overrideReason: '放行理由（5–1000 字，将记入审计日志）',
  overrideOnlyLead: '只有战队负责人或总部可以说明理由后放行',
  submitOverride: '说明理由并放行',
  overridden: '合规检查「{name}」已放行：{reason}',
  confirmDelete: '确定删除？',
  confirmArchive: '确定删除这张草稿？',
  role: { rep: '销售代表', supervisor: '主管', unit_lead: '战队负责人', hq_ops: '总部运营', admin: '管理员', analyst: '分析师', auditor: '审计' },
  channel: { b2b: '企业采购', store: '门店', online: '线上', wechat: '微信', livestream: '直播' },
  per: { item: '每笔', night: '每晚', person: '每人', day: '每天' },
  tier: { tier1: '一线城市（北上广深）', other: '其他城市', any: '所有城市' },
  entry: { allocation: '分配', spend: '占用', release: '释放', transfer_in: '调入', transfer_out: '调出', adjust: '调整' },
  quotes: {
    search: '搜索报价单号或名称', new: '新建报价单', order: '订单', authority: '定价授权检查', allowed: '授权上限',
    within: '所有行都在 {role} 的定价授权内，提交后直接批准', beyond: '超出 {role} 的定价授权',
    beyondHint: '提交后进入报价折扣审批：先由战队负责人审批，折扣超过 20% 或金额超过 50 万再由总部审批。',
    approval: '审批', waitingFor: '当前步骤「{step}」，等待 {who}', submitComment: '提交说明（可选）',
    channel: '下单渠道', toOrder: '转为订单', ordered: '已转为订单', approvedAtOnce: '在授权内，已直接批准', sentForApproval: '已提交审批',
  },
  exp: {
    mine: '我的报销', visible: '全部可见', new: '新建报销单', lines: '行数', start: '开始日期', end: '结束日期',
    nightsPeople: '晚数/人数', receiptNo: '发票号', vendor: '开票方', budget: '占用预算', ledger: '入账期间',
    withinPolicy: '所有明细都在费用标准内', overPolicy: '有明细超出费用标准，提交将被拒绝', allowed: '标准上限', noRule: '无标准',
    check: '费用标准检查', post: '过账入账', submitted: '已提交审批', posted: '已过账',
  },
  ct: {
    search: '搜索合同编号或名称', new: '新建合同', quote: '依据报价单', renewalOf: '续约的原合同', signedAt: '签署时间',
    sendReview: '提交合同评审', sign: '签署合同', legalConfirm: '法务已审核此合同', signed: '合同已签署', notNeeded: '无需审批',
    terminate: '终止合同', terminateConfirm: '确定终止这份合同？',
  },
  pa: {
    hint: '每个单元、每个角色可给的最大折扣，可按品类和成交金额细分；最具体的规则生效（最深的单元、指定角色优先、最长品类、达到的最大金额门槛），没有规则时为 5%。',
    role: '角色', anyRole: '所有角色', category: '品类前缀', anyCategory: '所有品类', minAmount: '金额门槛（起）', max: '最大折扣', add: '新增授权规则',
  },
  ep: {
    hint: '每类费用的报销上限：按笔、按晚（住宿）、按人（餐费、招待）或按天；单元的标准优先于上级，同一层级按城市等级的标准优先。',
    limit: '标准', per: '计算方式', tier: '城市等级', wholeTenant: '全公司', note: '说明', add: '新增费用标准',
  },
  bud: {
    tab: '单元预算', periodHint: '期间，如 2026-11 / 2026-Q4 / 2026', allocate: '分配预算', amount: '预算额', committed: '已占用', remaining: '剩余',
    usage: '使用率', entries: '预算流水', note: '说明', by: '操作人', spend: '占用', release: '释放', change: '调整额度', left: '剩余 {m}',
  },
  bt: {
    tab: '预算调剂', new: '申请调剂', executed: '执行时间',
    hint: '在单元授权边界内的调剂立即执行，超出的由总部运营审批。', executedNow: '在授权内，已立即执行', sent: '已提交审批',
  },
  pc: {
    tab: '调价申请', new: '申请调价', change: '幅度', sent: '已提交审批',
    hint: '调价由总部运营审批，幅度超过 10% 还需管理员审批；批准后在生效日自动生效。', preview: '原价 {old}，变动 {pct}%',
  },
}

const en = {
  nav: { quotes: 'Quotes', pricing: 'Pricing authority', contracts: 'Contracts', expenses: 'Expense claims', policies: 'Expense policy', budgets: 'Budgets' },
  customer: 'Customer',
  customerSearch: 'Search a customer by name, code or phone',
  lines: 'Lines',
  addLine: 'Add a line',
  pickProduct: 'Pick a product',
  discountPct: 'Discount %',
  overrideReason: 'Why it is let through (5–1,000 characters; audited)',
  overrideOnlyLead: 'Only a unit lead or HQ may let it through with a reason',
  submitOverride: 'Override with this reason',
  overridden: 'Compliance check “{name}” overridden: {reason}',
  confirmDelete: 'Delete this?',
  confirmArchive: 'Delete this draft?',
  role: { rep: 'Rep', supervisor: 'Supervisor', unit_lead: 'Unit lead', hq_ops: 'HQ sales ops', admin: 'Admin', analyst: 'Analyst', auditor: 'Auditor' },
  channel: { b2b: 'B2B', store: 'Store', online: 'Online', wechat: 'WeChat', livestream: 'Livestream' },
  per: { item: 'per item', night: 'per night', person: 'per person', day: 'per day' },
  tier: { tier1: 'Tier-1 cities (BJ, SH, GZ, SZ)', other: 'Other cities', any: 'Any city' },
  entry: { allocation: 'Allocation', spend: 'Spend', release: 'Release', transfer_in: 'Transfer in', transfer_out: 'Transfer out', adjust: 'Adjustment' },
  quotes: {
    search: 'Search by quote number or name', new: 'New quote', order: 'Order', authority: 'Pricing authority check', allowed: 'Allowed',
    within: 'Every line is within the {role}’s pricing authority: approved on submission', beyond: 'Beyond the {role}’s pricing authority',
    beyondHint: 'Submitting starts the quote discount approval: the unit lead, then HQ when a discount is above 20 % or the total above 500,000.',
    approval: 'Approval', waitingFor: 'Step “{step}”, waiting for {who}', submitComment: 'A note for the approvers (optional)',
    channel: 'Channel', toOrder: 'Turn into an order', ordered: 'The order was created', approvedAtOnce: 'Within authority: approved', sentForApproval: 'Sent for approval',
  },
  exp: {
    mine: 'My claims', visible: 'All I can see', new: 'New claim', lines: 'Lines', start: 'Start', end: 'End',
    nightsPeople: 'Nights / people', receiptNo: 'Receipt no.', vendor: 'Vendor', budget: 'Budget', ledger: 'Ledger month',
    withinPolicy: 'Every line is within the expense policy', overPolicy: 'A line is over the expense policy: submitting will be refused', allowed: 'Allowed', noRule: 'No limit',
    check: 'Policy check', post: 'Post to the ledger', submitted: 'Sent for approval', posted: 'Posted',
  },
  ct: {
    search: 'Search by contract number or name', new: 'New contract', quote: 'Based on quote', renewalOf: 'Renews', signedAt: 'Signed at',
    sendReview: 'Send for contract review', sign: 'Sign the contract', legalConfirm: 'Legal has reviewed this contract', signed: 'The contract is signed', notNeeded: 'No approval needed',
    terminate: 'Terminate', terminateConfirm: 'Terminate this contract?',
  },
  pa: {
    hint: 'The largest discount each role in each unit may give, by product category and deal size. The most specific rule applies (deepest unit, a role over any role, longest category, largest threshold reached); without any, 5 %.',
    role: 'Role', anyRole: 'Any role', category: 'Category prefix', anyCategory: 'Any category', minAmount: 'From deal size', max: 'Max discount', add: 'Add a rule',
  },
  ep: {
    hint: 'Limits per kind of cost: per item, per night (hotels), per person (meals, entertainment) or per day. A unit’s limit beats its parents’; at the same level a city-tier limit beats one for any city.',
    limit: 'Limit', per: 'Counted', tier: 'City tier', wholeTenant: 'Whole company', note: 'Note', add: 'Add a limit',
  },
  bud: {
    tab: 'Unit budgets', periodHint: 'Period, e.g. 2026-11 / 2026-Q4 / 2026', allocate: 'Allocate', amount: 'Budget', committed: 'Committed', remaining: 'Left',
    usage: 'Used', entries: 'Entries', note: 'Note', by: 'By', spend: 'Spend', release: 'Release', change: 'Change the amount', left: '{m} left',
  },
  bt: {
    tab: 'Budget transfers', new: 'Request a transfer', executed: 'Executed',
    hint: 'Within the unit’s authorisation boundary a transfer is executed at once; beyond it, HQ sales ops approve it.', executedNow: 'Within authority: executed', sent: 'Sent for approval',
  },
  pc: {
    tab: 'Price changes', new: 'Request a price change', change: 'Change', sent: 'Sent for approval',
    hint: 'HQ sales ops approve price changes; above 10 % either way the admin too. An approved change applies on its effective date.', preview: 'Now {old}, change {pct}%',
  },
}

const HQ = ['admin', 'hq_ops']
const mod: KeelModule = {
  name: 'commerce',
  routes: [
    { path: '/quotes', component: () => import('./Quotes.vue'), meta: { title: 'commerce.nav.quotes', group: 'units', icon: 'Tickets', order: 2 } },
    { path: '/contracts', component: () => import('./Contracts.vue'), meta: { title: 'commerce.nav.contracts', group: 'units', icon: 'Document', order: 3 } },
    { path: '/expenses', component: () => import('./Expenses.vue'), meta: { title: 'commerce.nav.expenses', group: 'units', icon: 'Wallet', order: 4 } },
    { path: '/budgets', component: () => import('./Budgets.vue'), meta: { title: 'commerce.nav.budgets', group: 'units', icon: 'Coin', order: 5 } },
    { path: '/pricing-authority', component: () => import('./PricingAuthority.vue'), meta: { title: 'commerce.nav.pricing', group: 'units', icon: 'PriceTag', order: 6, roles: [...HQ, 'analyst', 'auditor', 'unit_lead'] } },
    { path: '/expense-policies', component: () => import('./ExpensePolicies.vue'), meta: { title: 'commerce.nav.policies', group: 'units', icon: 'List', order: 7 } },
  ],
  messages: { 'zh-CN': zh, en },
}
export default mod
