// Voice of the customer and knowledge: feedback and its public links, the knowledge base,
// the materials library and case reviews; plus the public feedback page (no login).
import type { KeelModule } from '../index'

const zh = {
  nav: { feedback: '客户反馈', links: '反馈链接', kb: '知识库', materials: '资料库', cases: '案例复盘', public: '客户反馈' },
  analysis: '文本分析',
  links: {
    title: '标题', unit: '单元', store: '门店', status: '状态', prefix: '前缀', submissions: '提交数', last: '最近提交',
    expires: '过期时间', create: '新建链接', revoke: '撤销', revokeConfirm: '撤销后该链接永久失效，客户将无法再提交。确定撤销？',
    created: '链接已创建', onceHint: '完整链接只显示这一次，请立即复制并发给客户。', copy: '复制', copied: '已复制', never: '永不过期',
    revoked: '已撤销',
  },
  pub: {
    sending: '提交中…', again: '再提交一条', invalid: '该反馈链接不可用', ratingRequired: '请先选择评分',
  },
  kb: {
    search: '搜索知识库与赢单纪要', kind: '类型', productLine: '产品线', segment: '客户类型', results: '共 {n} 条结果', documents: '文档',
    add: '添加文档', body: '正文（Markdown）', opportunity: '商机', open: '查看', upload: '上传文件', uploadHint: '选择 .md 或 .txt 文件，或直接粘贴正文',
    k: { playbook: '打法手册', faq: '常见问题', case: '案例', won_deal_note: '赢单纪要', product: '产品', policy: '政策' },
    score: '相关度',
  },
  materials: {
    versions: '版本记录', upload: '上传新版本', note: '变更说明', download: '下载最新版', file: '文件', size: '大小', by: '上传人',
    pick: '选择文件', noFile: '请选择文件', tooBig: '文件不能超过 10 MB', uploaded: '新版本已上传',
  },
}

const en: typeof zh = {
  nav: { feedback: 'Customer feedback', links: 'Feedback links', kb: 'Knowledge base', materials: 'Materials', cases: 'Case reviews', public: 'Feedback' },
  analysis: 'Text analysis',
  links: {
    title: 'Title', unit: 'Unit', store: 'Store', status: 'Status', prefix: 'Prefix', submissions: 'Answers', last: 'Last answer',
    expires: 'Expires', create: 'New link', revoke: 'Revoke', revokeConfirm: 'A revoked link stops working for good; customers can no longer answer it. Revoke?',
    created: 'Link created', onceHint: 'The full link is shown only this once: copy it now and send it to your customers.', copy: 'Copy', copied: 'Copied', never: 'Never',
    revoked: 'Revoked',
  },
  pub: {
    sending: 'Sending…', again: 'Send another', invalid: 'This feedback link cannot be used', ratingRequired: 'Please choose a rating first',
  },
  kb: {
    search: 'Search the knowledge base and won-deal notes', kind: 'Kind', productLine: 'Product line', segment: 'Segment', results: '{n} results', documents: 'Documents',
    add: 'Add a document', body: 'Body (Markdown)', opportunity: 'Opportunity', open: 'Open', upload: 'Upload a file', uploadHint: 'Pick a .md or .txt file, or paste the text',
    k: { playbook: 'Playbook', faq: 'FAQ', case: 'Case', won_deal_note: 'Won-deal note', product: 'Product', policy: 'Policy' },
    score: 'Score',
  },
  materials: {
    versions: 'Versions', upload: 'Upload a new version', note: 'What changed', download: 'Download latest', file: 'File', size: 'Size', by: 'By',
    pick: 'Pick a file', noFile: 'Pick a file first', tooBig: 'The file must be at most 10 MB', uploaded: 'New version uploaded',
  },
}

const HQ_LEADS = ['admin', 'hq_ops', 'unit_lead']

const mod: KeelModule = {
  name: 'voice',
  routes: [
    { path: '/feedback', component: () => import('./Feedback.vue'), meta: { title: 'voice.nav.feedback', group: 'sales', icon: 'ChatDotRound', order: 40 } },
    { path: '/feedback-links', component: () => import('./FeedbackLinks.vue'), meta: { title: 'voice.nav.links', group: 'sales', icon: 'Link', order: 41, roles: [...HQ_LEADS, 'supervisor', 'analyst', 'auditor'] } },
    { path: '/kb', component: () => import('./Kb.vue'), meta: { title: 'voice.nav.kb', group: 'sales', icon: 'Reading', order: 42 } },
    { path: '/materials', component: () => import('./Materials.vue'), meta: { title: 'voice.nav.materials', group: 'sales', icon: 'Files', order: 43 } },
    { path: '/case-reviews', component: () => import('./CaseReviews.vue'), meta: { title: 'voice.nav.cases', group: 'sales', icon: 'Notebook', order: 44 } },
    { path: '/f/:token', component: () => import('./PublicFeedback.vue'), meta: { title: 'voice.nav.public', public: true } },
  ],
  messages: { 'zh-CN': zh, en },
}
export default mod
