// Ops: the everyday records — tasks, activities, orders, products, stores, promotions, members, targets.
import type { KeelModule } from '../index'
import type { MenuIcon } from '../../layout/menuIcons'
import { zh, en } from './messages'

const sales = (path: string, view: () => Promise<any>, key: string, icon: MenuIcon, order: number, roles?: string[]) => ({
  path,
  component: view,
  meta: { title: `ops.nav.${key}`, group: 'sales', icon, order, ...(roles ? { roles } : {}) },
})

const mod: KeelModule = {
  name: 'ops',
  routes: [
    sales('/tasks', () => import('./Tasks.vue'), 'tasks', 'Finished', 20),
    sales('/activities', () => import('./Activities.vue'), 'activities', 'ChatLineSquare', 21),
    sales('/orders', () => import('./Orders.vue'), 'orders', 'Tickets', 22),
    sales('/products', () => import('./Products.vue'), 'products', 'Goods', 23),
    sales('/stores', () => import('./Stores.vue'), 'stores', 'Shop', 24),
    sales('/promotions', () => import('./Promotions.vue'), 'promotions', 'Present', 25),
    sales('/members', () => import('./Members.vue'), 'members', 'Postcard', 26),
    sales('/targets', () => import('./Targets.vue'), 'targets', 'Aim', 27),
  ],
  messages: { 'zh-CN': zh, en },
}
export default mod
