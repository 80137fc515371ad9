// The end-to-end harness: a throw-away demo database, a real `keel serve` on a free port
// serving the built front end (web/dist), and Debian's Chromium driven by playwright-core.
// Without /usr/bin/chromium or a built front end the tests skip with a message, except with
// CI=true, where that is a failure.
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const WEB = resolve(here, '..')
export const ROOT = resolve(WEB, '..')
export const OUT = join(WEB, 'e2e', 'out')
export const PASSWORD = 'keel-e2e-password-1'
export const CHROMIUM = process.env.KEEL_CHROMIUM || '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--lang=zh-CN',
]

// Why the browser tests cannot run here, or '' when they can.
export function missing() {
  const bin = process.env.KEEL_BINARY || join(ROOT, 'build', 'keel')
  if (!existsSync(bin)) return `no keel binary at ${bin} (make build)`
  if (!existsSync(join(WEB, 'dist', 'index.html'))) return 'the front end is not built (make build)'
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (scripts/install-deps installs Debian's chromium)`
  return ''
}

export async function startKeel({ demo = true, live = false } = {}) {
  const bin = process.env.KEEL_BINARY || join(ROOT, 'build', 'keel')
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-'))
  const db = join(dir, 'e2e.db')
  if (demo && process.env.KEEL_E2E_TEMPLATE) {
    // A demo database prepared beforehand (with PASSWORD), copied: saves the generation time.
    copyFileSync(process.env.KEEL_E2E_TEMPLATE, db)
  } else if (demo) {
    const r = spawnSync(bin, ['demo', '--database', db, '--password', PASSWORD, '--log-level', 'warn'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    })
    if (r.status !== 0) throw new Error('keel demo failed: ' + r.stderr + r.stdout)
  }
  const args = ['serve', '--database', db, '--port', '0', '--web-root', join(WEB, 'dist'), '--log-level', 'warn']
  if (live) args.push('--live-demo', 'demo')
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('keel serve did not start: ' + log)), 60000)
    const onData = (d) => {
      log += d.toString()
      const m = log.match(/listening on (http:\/\/[0-9.]+:\d+)\//)
      if (m) {
        clearTimeout(timer)
        ok(m[1])
      }
    }
    proc.stdout.on('data', onData)
    proc.stderr.on('data', (d) => (log += d.toString()))
    proc.on('exit', (code) => fail(new Error(`keel serve exited (${code}): ` + log)))
  })
  return {
    url,
    dir,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM')
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core')
  const userDataDir = mkdtempSync(join(tmpdir(), 'keel-chromium-'))
  // A persistent context gives every launch a fresh, empty profile of its own.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(userDataDir, { recursive: true, force: true })
    },
  }
}

// Calls the API directly (setting up data, or checking what the browser did).
export async function apiCall(url, method, path, body, token) {
  const headers = {}
  if (token) headers.Authorization = 'Bearer ' + token
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(url + '/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = text
  }
  return { status: res.status, data }
}

export async function token(url, username, tenant = 'demo') {
  const r = await apiCall(url, 'POST', '/auth/login', { tenant, username, password: PASSWORD })
  if (r.status !== 200) throw new Error('login failed: ' + JSON.stringify(r.data))
  return r.data.token
}

// Logs in through the login page, as a person does; lands on the user's start page.
export async function login(page, url, username, { locale = 'zh-CN' } = {}) {
  await page.goto(url + '/login')
  await page.evaluate((l) => localStorage.setItem('keel.locale', l), locale)
  await page.reload()
  await page.fill('[data-test=login-tenant]', 'demo')
  await page.fill('[data-test=login-username]', username)
  await page.fill('[data-test=login-password]', PASSWORD)
  await page.click('[data-test=login-submit]')
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 20000 })
}

export async function screenshot(page, name) {
  mkdirSync(join(OUT, 'screenshots'), { recursive: true })
  // Transitions are finished first (a drawer caught sliding in is half a picture).
  await page.screenshot({ path: join(OUT, 'screenshots', name + '.png'), fullPage: false, animations: 'disabled' })
}
