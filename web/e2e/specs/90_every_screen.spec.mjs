// Every screen in the menu, for several roles, in Chinese and in English: it opens without a
// script error, a failed API call (a 5xx, or a 4xx other than the role's own limits) or a call to
// a deprecated route spelling (a reply with a Deprecation header), and shows no untranslated
// message key.
import assert from 'node:assert/strict'

// Namespaces of the front end's messages: a text like "sales.opp.title" on screen is a missing translation.
const NAMESPACES = ['app', 'group', 'common', 'login', 'notFound', 'warroom', 'supervisor', 'dashboards', 'sales', 'myday', 'ops',
  'voice', 'approvals', 'commerce', 'accounting', 'governance', 'studio', 'alerts', 'ai', 'admin']
const RAW_KEY = new RegExp(`(^|[\\s(（:：])(${NAMESPACES.join('|')})\\.[a-zA-Z_]+(\\.[a-zA-Z_]+)*($|[\\s)）,，.。])`, 'm')

export default async function (t, ctx) {
  for (const who of ['admin', 'sh-lead', 'sh-rep-01']) {
    await t.test(`every screen of ${who} opens cleanly in Chinese and English`, async () => {
      const page = await ctx.newPage()
      const bad = []
      // API calls in flight (the event stream aside), to know when a screen has loaded.
      let inflight = 0
      const isApi = (r) => new URL(r.url()).pathname.startsWith('/api/') && !r.url().includes('/api/v1/stream')
      page.on('request', (r) => { if (isApi(r)) inflight++ })
      page.on('requestfinished', (r) => { if (isApi(r)) inflight-- })
      page.on('requestfailed', (r) => { if (isApi(r)) inflight-- })
      const settled = async () => {
        let quiet = 0
        for (let i = 0; i < 60 && quiet < 3; i++) {
          await page.waitForTimeout(100)
          quiet = inflight <= 0 ? quiet + 1 : 0
        }
      }
      page.on('response', (r) => {
        const u = new URL(r.url())
        if (!u.pathname.startsWith('/api/')) return
        // 403/404 can be a role's limit or a missing optional record; 5xx never is.
        if (r.status() >= 500) bad.push(`${r.status()} ${r.request().method()} ${u.pathname}`)
        // The front end uses the canonical (kebab-case) routes only.
        if (r.headers()['deprecation']) bad.push(`deprecated route ${r.request().method()} ${u.pathname}`)
      })
      await ctx.login(page, ctx.url, who)
      const paths = await page.$$eval('[data-test^=nav-]', (els) => els.map((e) => e.getAttribute('data-test').slice(4)))
      assert.ok(paths.length >= 3, `${who} has a menu: ${paths}`)
      for (const locale of ['zh-CN', 'en']) {
        if (locale === 'en') {
          await page.click('[data-test=lang-switch]')
          await page.waitForFunction(() => document.documentElement.lang === 'en')
        }
        for (const p of paths) {
          // Through the menu, as a person goes (the app is not reloaded between screens).
          await page.click(`[data-test="nav-${p}"]`)
          await page.waitForURL((u) => u.pathname === '/' + p)
          await settled()
          const text = await page.locator('main').innerText()
          const m = text.match(RAW_KEY)
          assert.equal(m, null, `${who} ${locale} /${p}: untranslated key '${m && m[0].trim()}'`)
          assert.ok(!/\bundefined\b|\bNaN\b|\[object Object\]/.test(text), `${who} ${locale} /${p} shows undefined/NaN/[object Object]`)
          if (locale === 'en') {
            // The menu and the page title are in English.
            assert.doesNotMatch(await page.locator('.topbar .title').innerText(), /[\u4e00-\u9fff]/, `${who} /${p}: the title is in English`)
          }
        }
      }
      await page.click('[data-test=lang-switch]')
      await page.waitForFunction(() => document.documentElement.lang === 'zh-CN')
      assert.deepEqual(page.errors, [], `${who}: script errors`)
      assert.deepEqual(bad, [], `${who}: server errors or deprecated routes`)
      await page.close()
    })
  }
}
