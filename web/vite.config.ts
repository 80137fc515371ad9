import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { fileURLToPath, URL } from 'node:url'

// Built into dist/, which `keel serve` serves on the API's port. `npm run dev` proxies the API
// to a running server (KEEL_URL, default http://127.0.0.1:8080).
export default defineConfig({
  plugins: [vue()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        // The libraries every screen shares get their own long-cached chunks; each route's
        // view is its own chunk (dynamic imports in the modules' routes).
        codeSplitting: {
          groups: [
            { name: 'vue', test: /node_modules[\\/](@vue|vue|vue-router|vue-i18n|@intlify)[\\/]/ },
            { name: 'element-plus', test: /node_modules[\\/](element-plus|@element-plus|@floating-ui|@vueuse|lodash|dayjs|async-validator|@ctrl|normalize-wheel|memoize-one)/ },
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender)[\\/]/ },
            { name: 'codemirror', test: /node_modules[\\/](@codemirror|codemirror|@lezer|crelt|style-mod|w3c-keyname|@marijn)/ },
            { name: 'gridstack', test: /node_modules[\\/]gridstack[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: { '/api': { target: process.env.KEEL_URL || 'http://127.0.0.1:8080', changeOrigin: true } },
  },
})
