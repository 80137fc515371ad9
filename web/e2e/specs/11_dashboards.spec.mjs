// The team dashboard (a supervisor's team, with the daily AI recap) and the dashboard builder:
// create a dashboard with two widgets through the UI, save, reload — it is still there; a
// dashboard's numbers follow the event stream (an order posted to the API moves them).
import assert from 'node:assert/strict'

async function pickOption(page, select, option) {
  await page.click(`[data-test=${select}]`)
  const opt = page.locator(`[data-test=${option}]:visible`).first()
  await opt.waitFor()
  await opt.click()
}

export default async function (t, ctx) {
  const page = await ctx.newPage()

  await t.test('a supervisor sees each team member as /metrics/query counts them, and the AI recap', async () => {
    const token = await ctx.token(ctx.url, 'sh-sup-1')
    await ctx.login(page, ctx.url, 'sh-sup-1')
    await page.goto(ctx.url + '/team')
    const r = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=revenue,orders&range=this_month&group_by=rep', undefined, token)
    assert.equal(r.status, 200)
    const top = r.data.groups[0]
    const row = page.locator(`[data-test=team-row-${top.group.rep.value}]`).first()
    await row.waitFor()
    const tr = page.locator('[data-test=team-table] .el-table__body tr', { has: page.locator(`[data-test=team-row-${top.group.rep.value}]`) }).first()
    const text = await tr.innerText()
    const shown = Number(text.match(/¥([\d,]+)/)[1].replace(/,/g, ''))
    assert.equal(shown, Math.round(top.values.revenue.value))
    // The recap is the one the API makes for the team.
    const recap = await ctx.apiCall(ctx.url, 'GET', '/text/recap?lang=zh', undefined, token)
    assert.equal(recap.status, 200)
    const summary = page.locator('[data-test=recap-summary]')
    await summary.waitFor()
    assert.equal((await summary.innerText()).trim(), recap.data.summary_zh)
    // History lists past recaps; opening yesterday's shows its key problems.
    const hist = page.locator('[data-test=recap-history] li')
    await hist.first().waitFor()
    const n = await hist.count()
    assert.ok(n >= 1)
    if (n > 1) {
      await hist.nth(1).click()
      await page.locator('[data-test=recap-problem]').first().waitFor()
    }
    await page.waitForSelector('[data-test=team-chart] canvas')
    await page.waitForTimeout(500)
    await ctx.screenshot(page, 'team')
    await page.click('[data-test=user-menu]')
    await page.click('[data-test=logout]')
    await page.waitForURL(/\/login/)
  })

  await t.test('ops builds a dashboard with two widgets, saves it, and it survives a reload', async () => {
    const token = await ctx.token(ctx.url, 'ops')
    await ctx.login(page, ctx.url, 'ops')
    await page.goto(ctx.url + '/dashboards')
    await page.click('[data-test=dash-create]')
    const name = 'E2E 看板 ' + Date.now()
    await page.fill('[data-test=dash-new-name]', name)
    await page.click('[data-test=dash-new-ok]')
    await page.waitForURL(/\/dashboards\/\d+/)
    const id = Number(new URL(page.url()).pathname.split('/').pop())

    // Widget 1: the month's revenue as a number.
    await page.click('[data-test=dash-add]')
    await pickOption(page, 'widget-metric', 'opt-metric-revenue')
    await page.fill('[data-test=widget-title]', '本月销售额')
    await page.click('[data-test=widget-ok]')
    // Widget 2: orders by region as a bar chart.
    await page.click('[data-test=dash-add]')
    await page.click('[data-test=widget-type-bar]')
    await pickOption(page, 'widget-metric', 'opt-metric-orders')
    await pickOption(page, 'widget-dim', 'opt-dim-region')
    await page.click('[data-test=widget-ok]')
    await page.waitForFunction(() => document.querySelectorAll('.grid-stack .grid-stack-item').length === 2)
    await page.waitForSelector('.grid-stack [data-type=bar] canvas')
    await page.waitForTimeout(600)
    await ctx.screenshot(page, 'dashboards-builder')
    await page.click('[data-test=dash-save]')
    await page.waitForSelector('[data-test=dash-edit]')

    const v = await ctx.apiCall(ctx.url, 'GET', `/views/${id}`, undefined, token)
    assert.equal(v.status, 200)
    assert.equal(v.data.name, name)
    assert.equal(v.data.kind, 'dashboard')
    const widgets = (typeof v.data.config === 'string' ? JSON.parse(v.data.config) : v.data.config).widgets
    assert.equal(widgets.length, 2)
    assert.deepEqual(widgets.map((w) => [w.type, w.metric]).sort(), [['bar', 'orders'], ['number', 'revenue']])
    assert.deepEqual(widgets.find((w) => w.type === 'bar').dims, ['region'])

    await page.reload()
    await page.waitForFunction(() => document.querySelectorAll('.grid-stack .grid-stack-item').length === 2)
    const num = page.locator('[data-test=widget-value]')
    await page.waitForFunction(() => document.querySelector('[data-test=widget-value]')?.getAttribute('data-value'))
    const q = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=revenue&range=this_month', undefined, token)
    assert.ok(Math.abs(Number(await num.getAttribute('data-value')) - q.data.groups[0].values.revenue.value) < 1)
    await page.waitForSelector('.grid-stack [data-type=bar] canvas')
    await page.waitForTimeout(500)
    await ctx.screenshot(page, 'dashboards-view')

    // It is listed among mine.
    await page.goto(ctx.url + '/dashboards')
    await page.locator(`[data-test=dash-card-${id}]`).waitFor()
    assert.match(await page.locator(`[data-test=dash-card-${id}]`).innerText(), /2 个组件/)
    await ctx.screenshot(page, 'dashboards-list')
  })

  await t.test('a dashboard updates live: an order posted to the API moves its number without a reload', async () => {
    const token = await ctx.token(ctx.url, 'ops')
    const widget = { id: 'live-orders', type: 'number', metric: 'orders', range: 'today', dims: [], x: 0, y: 0, w: 4, h: 2 }
    const made = await ctx.apiCall(ctx.url, 'POST', '/views', { kind: 'dashboard', name: 'live-e2e', audience: 'personal', config: { widgets: [widget] } }, token)
    assert.equal(made.status, 201, JSON.stringify(made.data))
    await page.goto(ctx.url + '/dashboards/' + made.data.id)
    await page.waitForSelector('[data-test=live-state][data-state=live]', { timeout: 15000 })
    const value = () => page.evaluate(() => document.querySelector('[data-test=widget-live-orders] [data-test=widget-value]')?.getAttribute('data-value') ?? '')
    await page.waitForFunction(() => document.querySelector('[data-test=widget-live-orders] [data-test=widget-value]')?.getAttribute('data-value'))
    const before = Number(await value())
    const today = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=orders&range=today', undefined, token)
    assert.equal(today.data.groups[0].values.orders.value, before, 'the widget starts at the API figure')

    // An order at the start of the server's today (its own clock and time zone, not the test's).
    const prod = await ctx.apiCall(ctx.url, 'GET', '/products?limit=1', undefined, token)
    const store = await ctx.apiCall(ctx.url, 'GET', '/stores?limit=1', undefined, token)
    const marker = await page.evaluate(() => (window.__noReload = 'dashboard-still-here'))
    const o = await ctx.apiCall(ctx.url, 'POST', '/orders', {
      code: 'E2E-DASH-' + made.data.id,
      channel: 'store',
      store_id: store.data.items[0].id,
      ordered_at: today.data.from,
      lines: [{ product_id: prod.data.items[0].id, qty: 1, unit_price: 88 }],
    }, token)
    assert.equal(o.status, 201, JSON.stringify(o.data))
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-test=widget-live-orders] [data-test=widget-value]')?.getAttribute('data-value')) === n,
      before + 1,
      { timeout: 15000 },
    )
    assert.equal(await page.evaluate(() => window.__noReload), marker, 'the page was not reloaded')
    const after = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=orders&range=today', undefined, token)
    assert.equal(after.data.groups[0].values.orders.value, before + 1)
    await ctx.apiCall(ctx.url, 'DELETE', '/views/' + made.data.id, undefined, token)
  })

  await t.test('the owner renames and deletes a dashboard', async () => {
    const token = await ctx.token(ctx.url, 'ops')
    const made = await ctx.apiCall(ctx.url, 'POST', '/views', { kind: 'dashboard', name: 'to-rename', audience: 'personal', config: { widgets: [] } }, token)
    assert.equal(made.status, 201, JSON.stringify(made.data))
    await page.goto(ctx.url + '/dashboards/' + made.data.id)
    await page.click('[data-test=dash-more]')
    await page.click('[data-test=dash-rename]')
    await page.fill('.el-message-box input', 'renamed-e2e')
    await page.click('.el-message-box .el-button--primary')
    await page.waitForFunction(() => document.querySelector('[data-test=dash-name]')?.textContent === 'renamed-e2e')
    assert.equal((await ctx.apiCall(ctx.url, 'GET', `/views/${made.data.id}`, undefined, token)).data.name, 'renamed-e2e')
    await page.click('[data-test=dash-more]')
    await page.click('[data-test=dash-delete]')
    await page.click('.el-message-box .el-button--primary')
    await page.waitForURL(/\/dashboards$/)
    // Deleting archives it: kept for history, gone from the list.
    const after = await ctx.apiCall(ctx.url, 'GET', `/views/${made.data.id}`, undefined, token)
    assert.ok(after.status === 404 || after.data.archived_at, 'archived')
    const list = await ctx.apiCall(ctx.url, 'GET', '/views?kind=dashboard&limit=500', undefined, token)
    assert.ok(!list.data.items.some((x) => x.id === made.data.id))
    assert.equal(await page.locator(`[data-test=dash-card-${made.data.id}]`).count(), 0)
  })
  await page.close()
}
