import type { KeelModule } from '../index'

const HQ = ['admin', 'hq_ops', 'analyst', 'auditor']

const zh = {
  nav: { pnl: '单元损益', ledger: '总部合并视图', alloc: '分摊与核算设置', ps: '利润分成', statement: '分成明细' },
  period: { month: '月', quarter: '季度', year: '年' },
  status: { open: '已过账', closed: '已结账', not_posted: '未过账' },
  kind: { hq: '总部', region: '大区', unit: '战队', store: '门店' },
  pnl: {
    vsPrev: '较 {p}', statement: '损益表', drillHint: '点击科目查看背后的分录', item: '项目', ofRevenue: '占收入',
    change: '变动', waterfall: '从收入到经营利润', gmPct: '毛利率', cmPct: '贡献毛利率', opPct: '经营利润率',
    orders: '订单数', revenue: '营业收入', grossMargin: '毛利', contribution: '贡献毛利', operatingProfit: '经营利润',
    drillTitle: '{line} · {unit} · {period} 的分录',
  },
  entries: {
    month: '月份', account: '科目', source: '来源', userId: '人员 ID', shown: '已显示 {n} 条', more: '加载更多',
    end: '已到末尾', person: '归属人',
  },
  source: { orders: '订单', order_refunds: '退款冲回', expenses: '费用报销', allocation_rules: '分摊规则' },
  ledger: {
    consolidated: '合并损益', withBelow: '含下级', ownOnly: '仅本级', addUp: '公司 = 各大区之和，大区 = 各战队之和；点击一行查看该单元损益',
    periods: '会计期间', post: '过账', postHint: '过账可重复执行，不会重复入账', postedAt: '过账时间', closedAt: '结账时间',
    repost: '重新过账', close: '结账', final: '已结账，不再变动', postedResult: '{p} 已过账', entries: '分录查询',
    postConfirm: '确认过账 {p}？订单、退款与总部分摊将记入该月。', closeConfirm: '结账 {p} 后该月不再接受任何分录，迟到的单据记入下一个未结账月份，分成明细成为最终结果。确认结账？',
    posted: '已过账', closed: '已结账',
  },
  col: {
    revenue: '营业收入', cogs: '销售成本', gross_margin: '毛利', gross_margin_pct: '毛利率', expenses: '费用', commissions: '销售提成',
    contribution_margin: '贡献毛利', allocations: '总部分摊', operating_profit: '经营利润', operating_margin_pct: '经营利润率',
    orders: '订单数', target: '目标', weight: '权重',
  },
  alloc: {
    title: '总部分摊规则', new: '新建分摊规则', hint: '共享服务成本（IT、房租、总部职能）每月按驱动因素分摊到各利润中心战队，过账时重算。',
    monthly: '每月金额', driver: '分摊依据', shares: '固定比例', byDriver: '按依据自动计算', addShare: '添加单元',
    deleteConfirm: '删除分摊规则「{name}」？已结账月份不受影响。',
  },
  driver: { revenue: '按收入', headcount: '按人数', orders: '按订单数', fixed: '固定比例' },
  settings: { title: '核算设置', commission: '销售提成比例', hint: '按订单收入计提给订单负责人（0–50%）', updated: '更新于' },
  ps: {
    statements: '分成明细', rule: '分成规则', count: '{n} 条明细', person: '人员', pool: '分成池', share: '个人分成',
    computedAt: '计算时间', rules: '分成规则', newRule: '新建分成规则', weight: '权重', run: '计算分成', allRules: '全部生效规则',
    runHint: '为该月的每个战队计算分成池和每人的分成；重复计算会替换该月明细，已结账月份的明细为最终结果。',
    runNow: '开始计算', runDone: '{p} 的分成已计算', poolFormula: '分成池公式', fields: '可用字段：', split: '分配方式',
    weightFormula: '个人权重公式', scope: '适用范围（不选为全部战队）', description: '说明',
    deleteConfirm: '删除分成规则「{name}」？', runConfirm: '计算 {p} 的利润分成？该月已有的明细将被替换。', ran: '分成已计算',
    yourShare: '个人分成', ofPool: '占分成池 {pool} 的 {pct}%', howComputed: '计算过程', basis: '个人贡献', basisTotal: '战队合计',
    people: '参与人数', unitFigures: '战队当月数据',
  },
  split: { revenue: '按销售额', gross_margin: '按毛利', equal: '平均分配', formula: '按公式权重' },
}

const en: typeof zh = {
  nav: { pnl: 'Unit P&L', ledger: 'Consolidated view', alloc: 'Allocations & settings', ps: 'Profit sharing', statement: 'Statement' },
  period: { month: 'Month', quarter: 'Quarter', year: 'Year' },
  status: { open: 'Posted', closed: 'Closed', not_posted: 'Not posted' },
  kind: { hq: 'HQ', region: 'Region', unit: 'Unit', store: 'Store' },
  pnl: {
    vsPrev: 'vs {p}', statement: 'Statement', drillHint: 'Click a line for the entries behind it', item: 'Line', ofRevenue: '% rev.',
    change: 'Change', waterfall: 'From revenue to operating profit', gmPct: 'Gross margin', cmPct: 'Contribution margin', opPct: 'Operating margin',
    orders: 'Orders', revenue: 'Revenue', grossMargin: 'Gross margin', contribution: 'Contribution margin', operatingProfit: 'Operating profit',
    drillTitle: 'Entries: {line} · {unit} · {period}',
  },
  entries: {
    month: 'Month', account: 'Account', source: 'Source', userId: 'Person ID', shown: '{n} entries shown', more: 'Load more',
    end: 'End of list', person: 'Person',
  },
  source: { orders: 'Order', order_refunds: 'Refund reversal', expenses: 'Expense claim', allocation_rules: 'Allocation rule' },
  ledger: {
    consolidated: 'Consolidated P&L', withBelow: 'With units below', ownOnly: 'Own entries only', addUp: 'The company is the sum of its regions, a region of its units; click a row for its P&L',
    periods: 'Periods', post: 'Post', postHint: 'Posting again never books anything twice', postedAt: 'Posted at', closedAt: 'Closed at',
    repost: 'Post again', close: 'Close', final: 'Closed, final', postedResult: '{p} posted', entries: 'Entries',
    postConfirm: 'Post {p}? Orders, refunds and HQ allocations are booked in the month.', closeConfirm: 'Once {p} is closed it takes no more entries: late items go to the next open month and its profit-sharing statements are final. Close it?',
    posted: 'Posted', closed: 'Closed',
  },
  col: {
    revenue: 'Revenue', cogs: 'Cost of goods', gross_margin: 'Gross margin', gross_margin_pct: 'GM %', expenses: 'Expenses', commissions: 'Commissions',
    contribution_margin: 'Contribution', allocations: 'HQ allocations', operating_profit: 'Operating profit', operating_margin_pct: 'OP %',
    orders: 'Orders', target: 'Target', weight: 'Weight',
  },
  alloc: {
    title: 'HQ allocation rules', new: 'New allocation rule', hint: 'Shared-service costs (IT, rent, HQ staff) are spread over the profit-centre units every month by a driver, recomputed at each posting.',
    monthly: 'Monthly amount', driver: 'Driver', shares: 'Fixed shares', byDriver: 'Computed from the driver', addShare: 'Add a unit',
    deleteConfirm: 'Delete the allocation rule “{name}”? Closed months do not change.',
  },
  driver: { revenue: 'Revenue', headcount: 'Headcount', orders: 'Orders', fixed: 'Fixed shares' },
  settings: { title: 'Accounting settings', commission: 'Commission rate', hint: "On an order's revenue, to the order's owner (0–50 %)", updated: 'updated' },
  ps: {
    statements: 'Statements', rule: 'Rule', count: '{n} statements', person: 'Person', pool: 'Pool', share: 'Share',
    computedAt: 'Computed', rules: 'Rules', newRule: 'New profit-sharing rule', weight: 'Weight', run: 'Run', allRules: 'All active rules',
    runHint: "Computes each unit's pool and every person's share for the month; running again replaces the month's statements, a closed month's are final.",
    runNow: 'Run now', runDone: 'Profit sharing for {p} computed', poolFormula: 'Pool formula', fields: 'Fields:', split: 'Split',
    weightFormula: 'Weight formula (per person)', scope: 'Scope (none: every unit)', description: 'Description',
    deleteConfirm: 'Delete the profit-sharing rule “{name}”?', runConfirm: "Compute profit sharing for {p}? The month's statements are replaced.", ran: 'Profit sharing computed',
    yourShare: 'Share', ofPool: '{pct}% of the pool of {pool}', howComputed: 'How it was computed', basis: 'Personal basis', basisTotal: 'Unit total',
    people: 'People', unitFigures: "The unit's month",
  },
  split: { revenue: 'By revenue', gross_margin: 'By gross margin', equal: 'Equal', formula: 'By weight formula' },
}

const mod: KeelModule = {
  name: 'accounting',
  routes: [
    { path: '/pnl', component: () => import('./Pnl.vue'), meta: { title: 'accounting.nav.pnl', group: 'units', icon: 'TrendCharts', order: 20 } },
    { path: '/ledger', component: () => import('./Ledger.vue'), meta: { title: 'accounting.nav.ledger', group: 'units', icon: 'Notebook', order: 21, roles: [...HQ, 'unit_lead'] } },
    { path: '/allocation-rules', component: () => import('./AllocationRules.vue'), meta: { title: 'accounting.nav.alloc', group: 'units', icon: 'PieChart', order: 22, roles: [...HQ, 'unit_lead'] } },
    { path: '/profit-sharing', component: () => import('./ProfitSharing.vue'), meta: { title: 'accounting.nav.ps', group: 'units', icon: 'Coin', order: 23 } },
    { path: '/profit-sharing/statements/:id', component: () => import('./Statement.vue'), meta: { title: 'accounting.nav.statement', group: 'units', menu: false } },
  ],
  messages: { 'zh-CN': zh, en },
}
export default mod
