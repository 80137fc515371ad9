import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { modules } from './modules'
import { session, role } from './session'
import { i18n } from './i18n'

const moduleRoutes: RouteRecordRaw[] = modules.flatMap((m) => m.routes)
const publicRoutes = moduleRoutes.filter((r) => r.meta?.public)
const appRoutes = moduleRoutes.filter((r) => !r.meta?.public)

// Where each role starts: reps on their day, everyone else in the war room.
export function homeFor(r: string): string {
  return r === 'rep' ? '/my-day' : '/war-room'
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/Login.vue'), meta: { public: true } },
    ...publicRoutes,
    {
      path: '/',
      component: () => import('./layout/Shell.vue'),
      children: [
        { path: '', name: 'home', redirect: () => homeFor(role()) },
        ...appRoutes.map((r) => ({ ...r, path: r.path.replace(/^\//, '') }) as RouteRecordRaw),
        { path: ':rest(.*)*', name: 'not-found', component: () => import('./views/NotFound.vue') },
      ],
    },
  ],
})

router.beforeEach((to) => {
  if (to.meta.public) return true
  if (!session.token) return { path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (to.meta.roles && !to.meta.roles.includes(role())) return { path: homeFor(role()) }
  return true
})

router.afterEach((to) => {
  const t = i18n.global.t
  document.title = (to.meta.title ? t(to.meta.title) + ' · ' : '') + t('app.name')
})
