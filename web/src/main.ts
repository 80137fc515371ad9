import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import * as Icons from '@element-plus/icons-vue'
import App from './App.vue'
import { router } from './router'
import { i18n } from './i18n'
import { setUnauthenticatedHandler } from './api'
import './style.css'

const app = createApp(App)
app.use(ElementPlus)
for (const [name, comp] of Object.entries(Icons)) app.component('Icon' + name, comp)
app.use(i18n)
app.use(router)
setUnauthenticatedHandler(() => {
  router.push({ path: '/login', query: { next: router.currentRoute.value.fullPath } })
})
document.documentElement.lang = i18n.global.locale.value
app.mount('#app')
