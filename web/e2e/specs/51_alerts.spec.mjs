// 告警中心: the inbox lists what GET /alerts returns; acknowledging from the UI changes the alert on
// the server; a silence created in the UI exists on the server and can be ended.
import assert from 'node:assert/strict'

export default async function (t, ctx) {
  const page = await ctx.newPage()
  const token = await ctx.token(ctx.url, 'admin')
  // The demo's rules fire shortly after the server starts.
  let alerts = []
  for (let i = 0; i < 60 && !alerts.length; i++) {
    alerts = (await ctx.apiCall(ctx.url, 'GET', '/alerts?state=firing&limit=500', undefined, token)).data.items
    if (!alerts.length) await new Promise((r) => setTimeout(r, 500))
  }
  await ctx.login(page, ctx.url, 'admin')

  await t.test('the inbox lists what GET /alerts returns', async () => {
    assert.ok(alerts.length > 0, 'the demo has firing alerts')
    await page.goto(ctx.url + '/alerts')
    await page.locator(`[data-test=alert-row-${alerts[0].id}]`).waitFor({ timeout: 15000 })
    const now = (await ctx.apiCall(ctx.url, 'GET', '/alerts?state=firing&limit=500', undefined, token)).data.items
    const rows = await page.locator('[data-test^=alert-row-]').evaluateAll((els) => els.map((e) => Number(e.dataset.test.replace('alert-row-', ''))))
    assert.deepEqual([...rows].sort(), now.map((a) => a.id).sort())
    const first = now[0]
    assert.equal(await page.locator(`[data-test=alert-row-${first.id}]`).innerText(), first.summary)
    await ctx.screenshot(page, 'alerts-inbox')
  })

  await t.test('acknowledging an alert from the UI changes its state on the server', async () => {
    const target = (await ctx.apiCall(ctx.url, 'GET', '/alerts?state=firing&limit=500', undefined, token)).data.items.find((a) => !a.acked_at)
    assert.ok(target, 'an unacknowledged alert')
    await page.click(`[data-test=alert-ack-${target.id}]`)
    await page.waitForFunction((id) => document.querySelector(`[data-test=alert-state-${id}]`)?.textContent?.includes('已确认'), target.id, { timeout: 10000 })
    const after = (await ctx.apiCall(ctx.url, 'GET', '/alerts?state=all&limit=500', undefined, token)).data.items.find((a) => a.id === target.id)
    assert.ok(after.acked_at, 'acked_at is set on the server')
    const me = (await ctx.apiCall(ctx.url, 'GET', '/auth/me', undefined, token)).data
    assert.equal(after.acked_by, me.user.id)
    assert.equal(await page.locator(`[data-test=alert-ack-${target.id}]`).count(), 0, 'no second acknowledge button')
  })

  await t.test('a silence made in the UI is on the server and can be ended', async () => {
    await page.click('.el-tabs__item:has-text("静默")')
    await page.fill('[data-test=silence-matcher-0]', '1015')
    await page.fill('[data-test=silence-comment]', 'e2e 上海战队培训')
    await page.click('[data-test=silence-create]')
    let s
    for (let i = 0; i < 40 && !s; i++) {
      s = (await ctx.apiCall(ctx.url, 'GET', '/alert-silences', undefined, token)).data.items.find((x) => x.comment === 'e2e 上海战队培训')
      if (!s) await page.waitForTimeout(250)
    }
    assert.ok(s, 'the silence exists')
    assert.deepEqual(s.matchers, { unit: '1015' })
    await page.locator(`[data-test=silence-end-${s.id}]`).waitFor()
    await ctx.screenshot(page, 'alerts-silences')
    await page.click(`[data-test=silence-end-${s.id}]`)
    await page.locator(`[data-test=silence-end-${s.id}]`).waitFor({ state: 'detached', timeout: 10000 })
    const left = (await ctx.apiCall(ctx.url, 'GET', '/alert-silences', undefined, token)).data.items.find((x) => x.id === s.id)
    assert.ok(!left || new Date(left.ends_at) <= new Date(), 'the silence has ended')
  })

  await t.test('the delivery log shows the in-app notifications the alerts sent', async () => {
    await page.goto(ctx.url + '/notifications')
    await page.click('[data-test=notif-scope] label:nth-child(2)')
    const log = (await ctx.apiCall(ctx.url, 'GET', '/notifications?all=true&limit=500', undefined, token)).data.items
    assert.ok(log.length > 0)
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=notif-table] .el-table__body-wrapper tbody tr').length === n, Math.min(log.length, 500), { timeout: 10000 })
  })

  await t.test('phone width: the inbox scrolls inside its table', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(ctx.url + '/alerts')
    await page.locator('[data-test^=alert-row-]').first().waitFor({ timeout: 15000 })
    const w = await page.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(w <= 400, 'no horizontal page overflow: ' + w)
    await ctx.screenshot(page, 'alerts-inbox-phone')
    await page.setViewportSize({ width: 1440, height: 900 })
  })
  assert.deepEqual(page.errors, [])
  await page.close()
}
