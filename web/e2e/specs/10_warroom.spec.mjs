// The war room (作战指挥部): KPI cards equal /metrics/query, the stream badge is live, a new
// order posted to the API shows up in the KPIs without a reload, the alert feed matches /alerts.
import assert from 'node:assert/strict'

const KPI = 'revenue,orders,average_order_value,visits,new_leads,deals_won'

async function kpiValue(page, name) {
  const v = await page.locator(`[data-test=kpi-${name}]`).getAttribute('data-value')
  return v === '' || v === null ? null : Number(v)
}

export default async function (t, ctx) {
  const page = await ctx.newPage()
  const token = await ctx.token(ctx.url, 'ops')

  await t.test('ops lands in the war room and its KPI cards equal /metrics/query', async () => {
    await ctx.login(page, ctx.url, 'ops')
    await page.waitForURL(/\/war-room/)
    await page.waitForFunction(() => document.querySelector('[data-test=kpi-orders]')?.getAttribute('data-value') !== '')
    const r = await ctx.apiCall(ctx.url, 'GET', `/metrics/query?metrics=${KPI}&range=today`, undefined, token)
    assert.equal(r.status, 200)
    const vals = r.data.groups[0].values
    for (const k of ['revenue', 'orders', 'visits', 'new_leads', 'deals_won']) {
      assert.equal(await kpiValue(page, k), vals[k].value, `KPI ${k}`)
    }
    // The orders card shows the number as a person reads it.
    const text = await page.locator('[data-test=kpi-orders]').innerText()
    assert.equal(text.replace(/[,\s]/g, ''), String(vals.orders.value))
    // The first meaningful paint is marked for the benchmark.
    const marks = await page.evaluate(() => performance.getEntriesByName('keel:warroom-kpis').length)
    assert.equal(marks, 1)
  })

  await t.test('the stream badge says live', async () => {
    await page.waitForSelector('[data-test=live-state][data-state=live]', { timeout: 15000 })
    assert.match(await page.locator('[data-test=live-state]').innerText(), /实时/)
  })

  await t.test('a new order posted to the API updates the KPIs without a reload', async () => {
    const before = await kpiValue(page, 'orders')
    const revBefore = await kpiValue(page, 'revenue')
    const prod = await ctx.apiCall(ctx.url, 'GET', '/products?limit=1', undefined, token)
    const store = await ctx.apiCall(ctx.url, 'GET', '/stores?limit=1', undefined, token)
    const marker = await page.evaluate(() => (window.__noReload = 'still-here'))
    const o = await ctx.apiCall(ctx.url, 'POST', '/orders', {
      code: 'E2E-WR-' + Date.now(),
      channel: 'store',
      store_id: store.data.items[0].id,
      ordered_at: new Date().toISOString(),
      lines: [{ product_id: prod.data.items[0].id, qty: 3, unit_price: 1234 }],
    }, token)
    assert.equal(o.status, 201, JSON.stringify(o.data))
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-test=kpi-orders]')?.getAttribute('data-value')) === n,
      before + 1,
      { timeout: 15000 },
    )
    await page.waitForFunction(
      (n) => Math.abs(Number(document.querySelector('[data-test=kpi-revenue]')?.getAttribute('data-value')) - n) < 0.01,
      revBefore + o.data.total,
      { timeout: 15000 },
    )
    assert.equal(await page.evaluate(() => window.__noReload), marker, 'the page was not reloaded')
    // And the API agrees.
    const r = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=orders&range=today', undefined, token)
    assert.equal(r.data.groups[0].values.orders.value, before + 1)
  })

  await t.test('the alert feed shows the newest alerts from /alerts, in Chinese', async () => {
    const r = await ctx.apiCall(ctx.url, 'GET', '/alerts?limit=8', undefined, token)
    assert.equal(r.status, 200)
    const feed = page.locator('[data-test=warroom-alert]')
    if (!r.data.items.length) return
    await feed.first().waitFor()
    assert.equal(await feed.count(), r.data.items.length)
    assert.match(await feed.first().innerText(), new RegExp(r.data.items[0].summary.slice(0, 6).replace(/[()（）.*+?]/g, '.')))
  })

  await t.test('the leaderboard lists the top reps of the month as /metrics/query does', async () => {
    const r = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=revenue,orders&range=this_month&group_by=rep&top=10', undefined, token)
    const first = r.data.groups.find((g) => g.group.rep.value)
    const row = page.locator('[data-test=warroom-board] .el-table__body tr').first()
    await row.waitFor()
    assert.match(await row.innerText(), new RegExp(first.group.rep.name))
    await page.waitForSelector('[data-test=warroom-heat] canvas')
    await page.waitForSelector('[data-test=warroom-stores] canvas')
    await page.waitForSelector('[data-test=warroom-funnel] canvas')
    // The funnel is the open deals by stage now, as GET /opportunities/aggregate counts them.
    const open = (await ctx.apiCall(ctx.url, 'GET', '/opportunities/aggregate?outcome=open&measures=count', undefined, token)).data
    await page.waitForFunction((n) => (document.querySelector('[data-test=warroom-funnel-total]')?.textContent ?? '').match(/\d[\d,]*/)?.[0].replace(/,/g, '') === String(n),
      open.totals.count)
    await page.waitForTimeout(800)
    await ctx.screenshot(page, 'warroom')
  })

  await t.test('in English the war room speaks English', async () => {
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    const card = await page.locator('[data-test=kpi-card-revenue]').innerText()
    assert.match(card, /Revenue/)
    assert.match(await page.locator('[data-test=live-state]').innerText(), /Live/)
    const body = await page.locator('.warroom').innerText()
    assert.doesNotMatch(body, /warroom\./, 'no untranslated keys')
    // The teams' leaderboard names the units in English, as /units has them.
    await page.locator('[data-test=board-dim] label', { hasText: 'Teams' }).click()
    const r = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=revenue,orders&range=this_month&group_by=unit&top=10', undefined, token)
    const top = r.data.groups.find((g) => g.group.unit.value)
    const unit = (await ctx.apiCall(ctx.url, 'GET', `/units/${top.group.unit.value}`, undefined, token)).data
    assert.ok(unit.name_en, 'the demo names its units in English')
    await page.locator('[data-test=warroom-board] .el-table__body tr', { hasText: unit.name_en }).first().waitFor()
    await page.locator('[data-test=board-dim] label', { hasText: 'Reps' }).click()
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN')
  })

  await t.test('on a phone the war room stacks and still shows live KPIs', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.waitForTimeout(600)
    const box = await page.locator('[data-test=kpi-card-revenue]').boundingBox()
    assert.ok(box && box.width < 390, 'the KPI card fits the phone')
    await ctx.screenshot(page, 'warroom-phone')
    await page.setViewportSize({ width: 1440, height: 900 })
  })
  await page.close()
}
