// Runs every e2e/specs/*.spec.mjs in order against one Keel server (demo tenant) and one
// Chromium: `node e2e/run.mjs [name-filter]`. Each spec exports
//   default async function (t, ctx)   // t: node:test context; ctx: {url, context, newPage, ...}
import { test } from 'node:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import * as h from './harness.mjs'

const why = h.missing()
if (why) {
  if (process.env.CI === 'true') {
    console.error('web e2e: cannot run: ' + why)
    process.exit(1)
  }
  console.log('web e2e: skipped: ' + why)
  process.exit(0)
}

const filter = process.argv[2] || ''
const specs = readdirSync(join(h.WEB, 'e2e', 'specs'))
  .filter((f) => f.endsWith('.spec.mjs') && f.includes(filter))
  .sort()

const keel = await h.startKeel()
const browser = await h.launchBrowser()
const ctx = {
  ...h,
  url: keel.url,
  keel,
  context: browser.context,
  // A page whose console errors and failed requests are collected (a spec may assert on them).
  async newPage() {
    const page = await browser.context.newPage()
    page.errors = []
    page.on('pageerror', (e) => page.errors.push(String(e)))
    return page
  },
}
try {
  for (const f of specs) {
    const mod = await import('./specs/' + f)
    await test(f.replace('.spec.mjs', ''), async (t) => {
      await mod.default(t, ctx)
    })
  }
} finally {
  await browser.close()
  await keel.stop()
}
