// zh-CN by default, English by switch (remembered per browser). Each module brings its own
// messages under its own namespace (modules/<name>/index.ts → messages), merged here.
import { createI18n } from 'vue-i18n'
import { modules } from './modules'

const common = {
  'zh-CN': {
    app: { name: 'Keel 销售操作系统', short: 'Keel' },
    group: { overview: '总览', sales: '销售', units: '作战单元', studio: '低代码工作室', admin: '系统管理' },
    common: {
      save: '保存', cancel: '取消', delete: '删除', edit: '编辑', create: '新建', search: '搜索', refresh: '刷新',
      confirm: '确认', close: '关闭', loading: '加载中…', empty: '暂无数据', actions: '操作', status: '状态',
      name: '名称', amount: '金额', date: '日期', created: '创建时间', saved: '已保存', deleted: '已删除',
      more: '更多', all: '全部', yes: '是', no: '否', details: '详情', back: '返回', submit: '提交',
      filter: '筛选', reset: '重置', export: '导出', import: '导入', live: '实时', offline: '已断开',
      reconnecting: '重新连接中', unit: '单元', region: '区域', owner: '负责人', total: '合计', preview: '预览',
      language: 'English', logout: '退出登录', profile: '个人', required: '必填', period: '期间', system: '系统',
    },
    login: {
      title: '登录', tenant: '租户编码', username: '用户名', password: '密码', submit: '登录',
      hint: '演示账号：租户 demo，用户 admin / ops / sh-lead / sh-sup-1 / sh-rep-01，密码见 make run 的输出',
    },
    notFound: { title: '页面不存在', back: '回到首页' },
  },
  en: {
    app: { name: 'Keel Sales OS', short: 'Keel' },
    group: { overview: 'Overview', sales: 'Sales', units: 'Units', studio: 'Low-code studio', admin: 'Admin' },
    common: {
      save: 'Save', cancel: 'Cancel', delete: 'Delete', edit: 'Edit', create: 'New', search: 'Search', refresh: 'Refresh',
      confirm: 'Confirm', close: 'Close', loading: 'Loading…', empty: 'No data', actions: 'Actions', status: 'Status',
      name: 'Name', amount: 'Amount', date: 'Date', created: 'Created', saved: 'Saved', deleted: 'Deleted',
      more: 'More', all: 'All', yes: 'Yes', no: 'No', details: 'Details', back: 'Back', submit: 'Submit',
      filter: 'Filter', reset: 'Reset', export: 'Export', import: 'Import', live: 'Live', offline: 'Disconnected',
      reconnecting: 'Reconnecting', unit: 'Unit', region: 'Region', owner: 'Owner', total: 'Total', preview: 'Preview',
      language: '中文', logout: 'Log out', profile: 'Profile', required: 'Required', period: 'Period', system: 'System',
    },
    login: {
      title: 'Log in', tenant: 'Tenant code', username: 'Username', password: 'Password', submit: 'Log in',
      hint: 'Demo: tenant demo, users admin / ops / sh-lead / sh-sup-1 / sh-rep-01; the password is printed by make run',
    },
    notFound: { title: 'Page not found', back: 'Back to the start' },
  },
}

type Messages = Record<string, any>
const messages: Record<string, Messages> = { 'zh-CN': { ...common['zh-CN'] }, en: { ...common.en } }
for (const m of modules) {
  for (const lang of ['zh-CN', 'en'] as const) {
    if (m.messages?.[lang]) messages[lang][m.name] = m.messages[lang]
  }
}

export const LOCALE_KEY = 'keel.locale'
const saved = localStorage.getItem(LOCALE_KEY)

export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLocale: 'en',
  messages,
  missingWarn: false,
  fallbackWarn: false,
})

export function setLocale(l: 'zh-CN' | 'en') {
  i18n.global.locale.value = l
  localStorage.setItem(LOCALE_KEY, l)
  document.documentElement.lang = l
}

// A server text that comes in both languages: {message, message_zh} or {en, zh} or name/name_en.
export function pick(zh: string | undefined | null, en: string | undefined | null): string {
  const l = i18n.global.locale.value
  return (l.startsWith('zh') ? zh || en : en || zh) || ''
}
