// The war room's first meaningful paint in a real browser (Debian's chromium, headless) against
// `keel serve` with the demo tenant, cold cache each time. The figure is the time from navigation
// to the KPI numbers being on screen (the page's `keel:warroom-kpis` performance mark); the
// same-run baseline is the first contentful paint of the login page (the same bundle, no data).
//   node bench/web_bench.mjs [runs]        (make bench runs it after the C++ benchmarks)
import { chromium } from '../web/node_modules/playwright-core/index.mjs'
import * as h from '../web/e2e/harness.mjs'

const runs = Number(process.argv[2] || 10)
const why = h.missing()
if (why) {
  console.log('web_bench: skipped: ' + why)
  process.exit(0)
}
const keel = await h.startKeel()
const token = await h.token(keel.url, 'ops')
const me = await (await fetch(keel.url + '/api/v1/auth/me', { headers: { Authorization: 'Bearer ' + token } })).json()
const browser = await chromium.launch({ executablePath: h.CHROMIUM, headless: true, args: h.CHROMIUM_ARGS })

async function measure(path, withSession, mark) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
  if (withSession) {
    await context.addInitScript(
      ([t, m]) => sessionStorage.setItem('keel.session', JSON.stringify({ token: t, tenantCode: 'demo', me: m })),
      [token, me],
    )
  }
  const page = await context.newPage()
  await page.goto(keel.url + path, { waitUntil: 'commit' })
  const ms = await page.evaluate(async (markName) => {
    const deadline = performance.now() + 20000
    for (;;) {
      const m = markName
        ? performance.getEntriesByName(markName)[0]
        : performance.getEntriesByName('first-contentful-paint')[0]
      if (m) return m.startTime
      if (performance.now() > deadline) return -1
      await new Promise((r) => setTimeout(r, 10))
    }
  }, mark)
  await context.close()
  return ms
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return { p50: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] }
}

const login = []
const warroom = []
const fcp = []
await measure('/war-room', true, 'keel:warroom-kpis') // warm the server's caches once
for (let i = 0; i < runs; i++) {
  login.push(await measure('/login', false, null))
  warroom.push(await measure('/war-room', true, 'keel:warroom-kpis'))
  fcp.push(await measure('/war-room', true, null))
}
await browser.close()
await keel.stop()

const b = stats(login)
const w = stats(warroom)
const f = stats(fcp)
const fmt = (x) => x.toFixed(0).padStart(5) + ' ms'
console.log(`web_bench (${runs} cold-cache loads each, headless chromium, demo tenant as ops)`)
console.log(`  baseline: login page first contentful paint      p50 ${fmt(b.p50)}  (min ${fmt(b.min)}, max ${fmt(b.max)})`)
console.log(`  war room first contentful paint                  p50 ${fmt(f.p50)}  (min ${fmt(f.min)}, max ${fmt(f.max)})  ${(f.p50 / b.p50).toFixed(2)}x baseline`)
console.log(`  war room KPIs on screen (first meaningful paint) p50 ${fmt(w.p50)}  (min ${fmt(w.min)}, max ${fmt(w.max)})  ${(w.p50 / b.p50).toFixed(2)}x baseline`)
if (w.min < 0) {
  console.log('  (the war room never set its keel:warroom-kpis mark within 20 s)')
  process.exit(1)
}
