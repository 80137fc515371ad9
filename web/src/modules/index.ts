// Every feature module lives in modules/<name>/index.ts and exports a KeelModule: its routes
// (each view a lazily loaded chunk) and its zh/en messages. They are collected here, so adding
// a module touches no shared file.
import type { RouteRecordRaw } from 'vue-router'
import type { MenuIcon } from '../layout/menuIcons'

export interface KeelModule {
  name: string // the i18n namespace, e.g. 'warroom' → t('warroom.title')
  routes: RouteRecordRaw[]
  messages?: { 'zh-CN'?: Record<string, any>; en?: Record<string, any> }
}

// Route meta the shell reads:
//   title: i18n key of the menu entry and page title; group: 'overview'|'sales'|'units'|'studio'|'admin'
//   icon: an @element-plus/icons-vue name listed in layout/menuIcons.ts; order: position in its group; roles: who sees it
//   menu: false to keep it out of the menu (record pages); public: true for pages without login
//   badge: a count for the menu entry, refreshed on navigation and every minute
declare module 'vue-router' {
  interface RouteMeta {
    title?: string
    group?: string
    icon?: MenuIcon
    order?: number
    roles?: string[]
    menu?: boolean
    public?: boolean
    badge?: () => Promise<number> // a count shown on the menu entry (e.g. approvals waiting)
  }
}

const found = import.meta.glob<{ default: KeelModule }>('./*/index.ts', { eager: true })
export const modules: KeelModule[] = Object.values(found).map((m) => m.default)
