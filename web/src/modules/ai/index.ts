// AI: the lead and deal models (cards, monitoring, training, rollback), foreign CSV datasets,
// and text intelligence (sentiment model, analysis, key phrases, settings, next-best actions).
import type { KeelModule } from '../index'

const zh = {
  nav: { models: 'AI 模型', datasets: '数据集建模', text: '文本智能' },
  kind: { lead: '线索评分模型', opportunity: '商机赢率模型' },
  train: '训练新版本', trained: '训练完成', noModel: '还没有模型', auc: '留出集 AUC', baseRate: '基准转化率', holdoutRows: '留出集 {n} 行', lowerBetter: '越低越好',
  records: '训练记录', posNeg: '正例 {p} / 负例 {n}', importance: '特征重要性', calibration: '校准曲线（留出集）', predicted: '预测概率', observed: '实际比例', perfect: '完美校准', model: '模型',
  bands: '分档阈值', versions: '版本', version: '版本', trainedAt: '训练时间', activatedAt: '启用时间', viewCard: '查看卡片', rollback: '回滚到此版本', rollbackConfirm: '启用 v{v} 并重新评分？', rolledBack: '已回滚并重新评分',
  vstatus: { active: '生效中', retired: '已退役', candidate: '候选', rejected: '未采用' },
  monitoring: '模型监控', drifted: '{n} 个特征漂移', noDrift: '无明显漂移', scorePsi: '分数 PSI', threshold: '阈值', featurePsi: '特征 PSI', bandsNow: '当前分档分布', realised: '各分档实际成功率（按月）',
  notPromoted: '新版本不优于当前版本，未启用',
  job: { queued: '排队中', running: '训练中', done: '已完成', failed: '失败' },
  ds: {
    upload: '上传 CSV', name: '数据集名称', file: '文件', orPaste: '或粘贴 CSV 文本', uploadBtn: '上传并分析', uploaded: '已上传', list: '数据集', rows: '{n} 行',
    column: '列', type: '类型', missing: '缺失', distinct: '取值数', range: '范围', top: '常见取值', types: { number: '数值', category: '类别', text: '文本', constant: '常量' },
    train: '训练模型', label: '目标列', positive: '正例取值', exclude: '排除列', timeColumn: '时间列（留出最新数据）', folds: '交叉验证折数', holdout: '留出比例', trainBtn: '开始训练', card: '模型卡片',
    k: { cvAuc: '交叉验证 AUC', holdoutAuc: '留出集 AUC', logLoss: 'LogLoss', brier: 'Brier', rows: '行数' },
    identifier: '标识列', encoding: '文件编码为 {enc}，已转换为 UTF-8', dropped: '表头第 {cols} 列无列名且无数据，已忽略', renamed: '第 {n} 列 “{from}” 改名为 “{to}”',
    excludeSuspects: '排除可疑列（{cols}）并重新训练', leftOut: '默认未使用的列', versions: '模型版本', warnings: '警示', promotedTo: '已用于',
    predict: '用模型评分', predictBtn: '评分预览', download: '下载评分 CSV', row: '行', score: '评分', reasons: '原因', missingColumns: '文件缺少模型列（按未知处理）：{cols}',
    promote: '用于本企业评分', promoteBtn: '启用', promoted: '已启用为 v{v}，已为 {n} 条记录评分',
  },
  text: {
    runNba: '立即运行下一步最佳行动', nbaDone: '下一步最佳行动已运行', try: '试一试：分析一句话', tryHint: '例如：价格太贵了，竞品便宜很多，不过安装服务很好', analyze: '分析',
    sentiment: '情感', score: '分数', confidence: '置信度', intents: '意图', phrases: '关键短语', sent: { positive: '正面', neutral: '中性', negative: '负面' },
    model: '情感模型', inUse: '使用中', accuracy: '留出集准确率', lexiconAccuracy: '词典法准确率', trainedAt: '训练时间', feedback: '已有 {n} 条带评分反馈（正面 {p}，负面 {neg}；至少需要 {need} 条）', trainNow: '立即训练',
    keyPhrases: '近期纪要关键短语', lastDays: '近 {n} 天', settings: '文本设置', terms: '领域词（产品名、竞品品牌，分词时保持完整）', recapHour: '每日 AI 复盘时间（时）', intentsBuiltIn: '意图类别',
    llm: '生成式模型接口（OpenAI 兼容）', llmModel: '模型名', llmKey: 'API Key（留空则不修改；更换地址须重新填写）',
  },
}
const en: typeof zh = {
  nav: { models: 'AI models', datasets: 'Dataset modelling', text: 'Text intelligence' },
  kind: { lead: 'Lead scoring', opportunity: 'Deal win probability' },
  train: 'Train a new version', trained: 'Training finished', noModel: 'No model yet', auc: 'Holdout AUC', baseRate: 'Base rate', holdoutRows: '{n} holdout rows', lowerBetter: 'lower is better',
  records: 'Training records', posNeg: '{p} positive / {n} negative', importance: 'Feature importance', calibration: 'Calibration (holdout)', predicted: 'Predicted', observed: 'Observed', perfect: 'Perfect', model: 'Model',
  bands: 'Band thresholds', versions: 'Versions', version: 'Version', trainedAt: 'Trained', activatedAt: 'Activated', viewCard: 'View card', rollback: 'Roll back to this', rollbackConfirm: 'Activate v{v} and rescore?', rolledBack: 'Rolled back and rescored',
  vstatus: { active: 'Active', retired: 'Retired', candidate: 'Candidate', rejected: 'Not promoted' },
  monitoring: 'Monitoring', drifted: '{n} features drifted', noDrift: 'No notable drift', scorePsi: 'Score PSI', threshold: 'threshold', featurePsi: 'Feature PSI', bandsNow: 'Bands now', realised: 'Realised success by band (monthly)',
  notPromoted: 'the new version was not better and was not activated',
  job: { queued: 'Queued', running: 'Training', done: 'Done', failed: 'Failed' },
  ds: {
    upload: 'Upload a CSV', name: 'Dataset name', file: 'File', orPaste: 'or paste CSV text', uploadBtn: 'Upload and profile', uploaded: 'Uploaded', list: 'Datasets', rows: '{n} rows',
    column: 'Column', type: 'Type', missing: 'Missing', distinct: 'Distinct', range: 'Range', top: 'Top values', types: { number: 'Number', category: 'Category', text: 'Text', constant: 'Constant' },
    train: 'Train a model', label: 'Label column', positive: 'Positive value', exclude: 'Exclude columns', timeColumn: 'Time column (holdout = latest)', folds: 'CV folds', holdout: 'Holdout share', trainBtn: 'Train', card: 'Model card',
    k: { cvAuc: 'Cross-validated AUC', holdoutAuc: 'Holdout AUC', logLoss: 'Log loss', brier: 'Brier', rows: 'Rows' },
    identifier: 'identifier', encoding: 'The file was {enc}; converted to UTF-8', dropped: 'Header column(s) {cols} had no name and no values: dropped', renamed: 'Column {n} “{from}” renamed “{to}”',
    excludeSuspects: 'Exclude the suspects ({cols}) and retrain', leftOut: 'Left out by default', versions: 'Model versions', warnings: 'Warnings', promotedTo: 'Scores',
    predict: 'Score with the model', predictBtn: 'Preview scores', download: 'Download scored CSV', row: 'Row', score: 'Score', reasons: 'Reasons', missingColumns: 'The file lacks model columns (read as unknown): {cols}',
    promote: 'Use it to score this company', promoteBtn: 'Promote', promoted: 'Active as v{v}; {n} records scored',
  },
  text: {
    runNba: 'Run next-best actions now', nbaDone: 'Next-best actions ran', try: 'Try it: analyse a sentence', tryHint: 'e.g. 价格太贵了，竞品便宜很多，不过安装服务很好', analyze: 'Analyse',
    sentiment: 'Sentiment', score: 'score', confidence: 'confidence', intents: 'Intents', phrases: 'Key phrases', sent: { positive: 'Positive', neutral: 'Neutral', negative: 'Negative' },
    model: 'Sentiment model', inUse: 'In use', accuracy: 'Holdout accuracy', lexiconAccuracy: 'Lexicon accuracy', trainedAt: 'Trained', feedback: '{n} rated texts ({p} positive, {neg} negative; at least {need} needed)', trainNow: 'Train now',
    keyPhrases: 'Key phrases of recent notes', lastDays: 'Last {n} days', settings: 'Text settings', terms: 'Domain terms (product names, competitor brands, kept whole)', recapHour: 'Daily AI recap hour', intentsBuiltIn: 'Intent categories',
    llm: 'Generative endpoint (OpenAI-compatible)', llmModel: 'Model', llmKey: 'API key (empty: unchanged; enter it again when the URL changes)',
  },
}

const HQ_READ = ['admin', 'hq_ops', 'analyst', 'auditor']
const mod: KeelModule = {
  name: 'ai',
  routes: [
    { path: '/ai/models', component: () => import('./Models.vue'), meta: { title: 'ai.nav.models', group: 'studio', icon: 'Cpu', order: 10, roles: HQ_READ } },
    { path: '/ai/datasets', component: () => import('./Datasets.vue'), meta: { title: 'ai.nav.datasets', group: 'studio', icon: 'Files', order: 11, roles: ['admin', 'hq_ops'] } },
    { path: '/ai/text', component: () => import('./Text.vue'), meta: { title: 'ai.nav.text', group: 'studio', icon: 'ChatLineSquare', order: 12, roles: HQ_READ } },
  ],
  messages: { 'zh-CN': zh, en },
}
export default mod
