import { createApp } from 'vue'
// Element Plus comes on demand (vite.config.ts: each component with its CSS where a template
// uses it). The services called from scripts — ElMessage, ElMessageBox, ElNotification — bring
// no stylesheet of their own, so theirs are loaded here with the base variables.
import 'element-plus/theme-chalk/base.css'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import 'element-plus/es/components/notification/style/css'
import App from './App.vue'
import { router } from './router'
import { i18n } from './i18n'
import { setUnauthenticatedHandler } from './api'
import './style.css'

const app = createApp(App)
app.use(i18n)
app.use(router)
setUnauthenticatedHandler(() => {
  router.push({ path: '/login', query: { next: router.currentRoute.value.fullPath } })
})
document.documentElement.lang = i18n.global.locale.value
app.mount('#app')
