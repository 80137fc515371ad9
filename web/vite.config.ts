import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import * as Icons from '@element-plus/icons-vue'
import { fileURLToPath, URL } from 'node:url'

// Built into dist/, which `keel serve` serves on the API's port. `npm run dev` proxies the API
// to a running server (KEEL_URL, default http://127.0.0.1:8080).
export default defineConfig({
  plugins: [
    vue(),
    // Element Plus on demand: each <el-…> tag and v-loading imports its component and its CSS
    // where it is used (the whole library and its 360 KB stylesheet are no longer in the entry);
    // <IconXxx /> is the icon Xxx of @element-plus/icons-vue, imported the same way.
    Components({
      // No generated components.d.ts: templates keep the loose typing of the global registration
      // they had (typed tables would ask for a cast on every row slot).
      dts: false,
      dirs: [],
      resolvers: [
        ElementPlusResolver({ importStyle: 'css' }),
        (name: string) =>
          name.startsWith('Icon') && name.slice(4) in Icons ? { name: name.slice(4), from: '@element-plus/icons-vue' } : undefined,
      ],
    }),
  ],
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
            // Element Plus's shared code (hooks, utilities and the libraries under them) and
            // all its stylesheets each make one chunk; its components stay with the screens that
            // use them. Without these groups a screen loads some fifty tiny chunks.
            { name: 'element-plus-css', test: /node_modules[\\/]element-plus[\\/](theme-chalk[\\/].*\.css|es[\\/]components[\\/][^\\/]+[\\/]style[\\/])/ },
            { name: 'element-plus-base', test: /node_modules[\\/](element-plus[\\/]es[\\/](utils|hooks|constants|directives|locale|_virtual|components[\\/](config-provider|icon|button|tag|skeleton|empty|badge|menu|tooltip|popper|dropdown|scrollbar|focus-trap|collapse-transition|roving-focus-group|teleport|visual-hidden))[\\/]|@element-plus|@floating-ui|@vueuse|lodash|dayjs|async-validator|@ctrl|normalize-wheel|memoize-one|@popperjs)/ },
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
