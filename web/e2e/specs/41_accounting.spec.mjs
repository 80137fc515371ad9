// Unit accounting and governance: a unit lead's P&L matches the API and drills down to its
// entries; HQ's consolidated view adds up; a rep sees only their own profit-sharing statements;
// HQ changes a unit's authorisation boundary in the UI and the API has it.
import assert from 'node:assert/strict'

const amount = (s) => Number(String(s).replace(/[^0-9.\-−]/g, '').replace('−', '-'))

// Last month as the server counts it (its clock, the tenant's time zone): the start of the
// metric range last_month.
async function lastMonth(ctx) {
  const tok = await ctx.token(ctx.url, 'ops')
  const r = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=orders&range=last_month', undefined, tok)
  assert.equal(r.status, 200, JSON.stringify(r.data))
  return r.data.from.slice(0, 7)
}

export default async function (t, ctx) {
  const period = await lastMonth(ctx)

  await t.test('a unit lead sees their unit P&L for last month as the API computes it, and drills into revenue', async () => {
    const tok = await ctx.token(ctx.url, 'sh-lead')
    const me = (await ctx.apiCall(ctx.url, 'GET', '/auth/me', undefined, tok)).data
    const unitId = me.user.unit_id
    const api = (await ctx.apiCall(ctx.url, 'GET', `/units/${unitId}/pnl?period=${period}`, undefined, tok)).data
    assert.ok(api.figures.revenue > 0, 'the demo unit has revenue last month')

    const page = await ctx.newPage()
    await ctx.login(page, ctx.url, 'sh-lead')
    await page.goto(ctx.url + '/pnl')
    // The defaults: the lead's own unit and last month.
    await page.waitForURL((u) => u.searchParams.get('period') === period && u.searchParams.get('unit_id') === String(unitId))
    const rev = page.locator('[data-test=pnl-amount-revenue]')
    await rev.waitFor()
    assert.equal(amount(await rev.innerText()), api.figures.revenue)
    assert.equal(amount(await page.locator('[data-test=pnl-amount-operating_profit]').innerText()), api.figures.operating_profit)
    assert.match(await page.locator('[data-test=pnl-title]').innerText(), new RegExp(api.unit))
    assert.match(await page.locator('[data-test=pnl-table]').innerText(), /经营利润/)
    await page.waitForTimeout(400)
    await ctx.screenshot(page, 'accounting-pnl')

    // Drill-down: the entries behind revenue, as the API lists them.
    const entries = (await ctx.apiCall(ctx.url, 'GET', `/ledger/entries?unit_id=${unitId}&period=${period}&account=revenue&limit=200`, undefined, tok)).data.items
    await page.click('[data-test=pnl-line-revenue]')
    const table = page.locator('[data-test=pnl-drill] [data-test=entries-table]')
    await table.waitFor()
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=pnl-drill] [data-test=entries-table] .el-table__body tr').length === n, Math.min(entries.length, 200))
    const text = await table.innerText()
    assert.match(text, /营业收入/)
    assert.doesNotMatch(text, /销售成本/)
    assert.ok(text.includes(String(entries[0].id)), 'the first entry of the API is shown')
    await ctx.screenshot(page, 'accounting-pnl-drill')

    // The phone-width view of the P&L.
    await page.keyboard.press('Escape')
    await page.setViewportSize({ width: 390, height: 844 })
    await page.waitForTimeout(500)
    await ctx.screenshot(page, 'accounting-pnl-phone')
    await page.setViewportSize({ width: 1440, height: 900 })
    assert.deepEqual(page.errors, [])
    await page.close()
  })

  await t.test('HQ: the consolidated view lists regions whose revenues add up to the company', async () => {
    const tok = await ctx.token(ctx.url, 'ops')
    const api = (await ctx.apiCall(ctx.url, 'GET', `/ledger/consolidated?period=${period}`, undefined, tok)).data.items
    const company = api.find((r) => r.kind === 'hq')
    const regions = api.filter((r) => r.kind === 'region')

    const page = await ctx.newPage()
    await ctx.login(page, ctx.url, 'ops')
    await page.goto(ctx.url + '/ledger')
    await page.locator(`[data-test=cons-revenue-${company.unit_id}]`).waitFor()
    await page.waitForFunction((n) => document.querySelectorAll('[data-test^=cons-revenue-][data-kind=region]').length === n, regions.length)
    const regionValues = await page.$$eval('[data-test^=cons-revenue-][data-kind=region]', (els) => els.map((e) => Number(e.getAttribute('data-value'))))
    const companyValue = Number(await page.getAttribute(`[data-test=cons-revenue-${company.unit_id}]`, 'data-value'))
    assert.equal(companyValue, company.figures.revenue)
    const sum = Math.round(regionValues.reduce((s, v) => s + v * 100, 0)) / 100
    assert.equal(sum, companyValue, 'the regions add up to the company')
    for (const r of regions) {
      assert.equal(amount(await page.locator(`[data-test=cons-revenue-${r.unit_id}]`).innerText()), Math.round(r.figures.revenue))
    }
    await ctx.screenshot(page, 'accounting-consolidated')

    // The periods tab shows the API's months with their status.
    const periods = (await ctx.apiCall(ctx.url, 'GET', '/ledger/periods', undefined, tok)).data.items
    await page.click('#tab-periods')
    for (const p of periods) {
      assert.match(await page.locator(`[data-test=period-status-${p.period}]`).innerText(), p.status === 'closed' ? /已结账/ : /已过账/)
    }
    assert.deepEqual(page.errors, [])
    await page.close()
  })

  await t.test('a rep sees only their own profit-sharing statements, with each step in Chinese', async () => {
    const tok = await ctx.token(ctx.url, 'sh-rep-01')
    const me = (await ctx.apiCall(ctx.url, 'GET', '/auth/me', undefined, tok)).data
    const api = (await ctx.apiCall(ctx.url, 'GET', '/profit-sharing/statements', undefined, tok)).data.items
    assert.ok(api.length > 0)

    const page = await ctx.newPage()
    await ctx.login(page, ctx.url, 'sh-rep-01')
    await page.goto(ctx.url + '/profit-sharing')
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=ps-table] [data-user]').length === n, api.length)
    const users = await page.$$eval('[data-test=ps-table] [data-user]', (els) => els.map((e) => Number(e.getAttribute('data-user'))))
    assert.ok(users.every((u) => u === me.user.id), 'only their own')
    const first = api[0]
    assert.equal(amount(await page.locator(`[data-test=ps-amount-${first.id}]`).innerText()), first.amount)

    await page.click(`[data-test=ps-user-${first.id}]`)
    await page.waitForURL(new RegExp('/profit-sharing/statements/' + first.id))
    const detail = (await ctx.apiCall(ctx.url, 'GET', '/profit-sharing/statements/' + first.id, undefined, tok)).data
    const steps = page.locator('[data-test=st-steps]')
    await steps.waitFor()
    const text = await steps.innerText()
    for (const s of detail.detail.steps_zh) assert.ok(text.includes(s), 'step shown: ' + s)
    assert.equal(amount(await page.locator('[data-test=st-amount]').innerText()), detail.amount)
    await ctx.screenshot(page, 'accounting-profit-sharing-statement')

    // Someone else's statement is not there for them.
    const opsTok = await ctx.token(ctx.url, 'ops')
    const others = (await ctx.apiCall(ctx.url, 'GET', `/profit-sharing/statements?period=${first.period}&unit_id=${first.unit_id}`, undefined, opsTok)).data.items
    const other = others.find((s) => s.user_id !== me.user.id)
    await page.goto(ctx.url + '/profit-sharing/statements/' + other.id)
    await page.locator('[data-test=api-error]').waitFor()
    assert.deepEqual(page.errors, [])
    await page.close()
  })

  await t.test('HQ changes a unit boundary in the UI and the API reads it back', async () => {
    const tok = await ctx.token(ctx.url, 'ops')
    const units = (await ctx.apiCall(ctx.url, 'GET', '/units?limit=500', undefined, tok)).data.items
    const sh = units.find((u) => u.code === 'EAST-SH')
    const before = (await ctx.apiCall(ctx.url, 'GET', `/units/${sh.id}/boundaries`, undefined, tok)).data
    const top = before.entries.filter((e) => e.action === 'expense').sort((a, b) => b.limit - a.limit)[0]
    const newLimit = top.limit + 2000

    const page = await ctx.newPage()
    await ctx.login(page, ctx.url, 'ops')
    await page.goto(ctx.url + '/units')
    await page.click(`[data-test=unit-node-${sh.id}]`)
    await page.locator('[data-test=unit-title]').waitFor()
    assert.match(await page.locator('[data-test=unit-title]').innerText(), /上海战队/)
    await page.click('#tab-members')
    await page.locator('[data-test=members-table] .el-table__body tr').first().waitFor()
    const members = (await ctx.apiCall(ctx.url, 'GET', `/units/${sh.id}/members`, undefined, tok)).data.items
    assert.equal(await page.locator('[data-test=members-table] .el-table__body tr').count(), members.length)
    await page.waitForTimeout(400)
    await ctx.screenshot(page, 'governance-units')

    await page.click('#tab-boundaries')
    await page.locator('[data-test=boundary-table]').waitFor()
    const inputs = page.locator('[data-test^=boundary-limit-expense] input')
    await inputs.first().waitFor()
    let target = null
    for (let i = 0; i < (await inputs.count()); i++) {
      if (amount(await inputs.nth(i).inputValue()) === top.limit) target = inputs.nth(i)
    }
    assert.ok(target, 'the tier is shown with its limit')
    await target.fill(String(newLimit))
    await target.press('Tab')
    await page.click('[data-test=boundary-save]')
    await page.waitForFunction(() => document.querySelector('.el-message--success'))
    const after = (await ctx.apiCall(ctx.url, 'GET', `/units/${sh.id}/boundaries`, undefined, tok)).data
    const limits = after.entries.filter((e) => e.action === 'expense').map((e) => e.limit)
    assert.ok(limits.includes(newLimit), 'the new limit is stored: ' + JSON.stringify(limits))
    assert.ok(!limits.includes(top.limit))

    // The decision tester agrees: an amount just above the old limit is now "report".
    await page.locator('[data-test=decision-amount] input').fill(String(top.limit + 1000))
    await page.click('[data-test=decision-run]')
    assert.match(await page.locator('[data-test=decision-result]').innerText(), /决定后报备/)
    assert.deepEqual(page.errors, [])
    await page.close()
  })

  await t.test('HQ reads the compliance checkpoints and their events', async () => {
    const tok = await ctx.token(ctx.url, 'ops')
    const cps = (await ctx.apiCall(ctx.url, 'GET', '/compliance/checkpoints', undefined, tok)).data.items
    const page = await ctx.newPage()
    await ctx.login(page, ctx.url, 'ops')
    await page.goto(ctx.url + '/compliance')
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=cp-table] .el-table__body tr').length === n, cps.length)
    const text = await page.locator('[data-test=cp-table]').innerText()
    await page.waitForTimeout(400)
    for (const c of cps) assert.ok(text.includes(c.name) && text.includes(c.message_zh))
    await ctx.screenshot(page, 'governance-compliance')
    await page.click('#tab-events')
    const events = (await ctx.apiCall(ctx.url, 'GET', '/compliance/events?limit=200', undefined, tok)).data.items
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=ev-table] .el-table__body tr').length === n, events.length)
    await ctx.screenshot(page, 'governance-compliance-events')
    assert.deepEqual(page.errors, [])
    await page.close()
  })
}
