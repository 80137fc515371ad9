// Sales screens as a rep: a lead score's reasons (zh and en) match the API, a saved view
// round-trips, the kanban moves a deal's stage on the server, a lead page shows best contact
// time and the timeline, and the deal page.
import assert from 'node:assert/strict'

export default async function (t, ctx) {
  const page = await ctx.newPage()
  const tok = await ctx.token(ctx.url, 'sh-rep-01')
  await ctx.login(page, ctx.url, 'sh-rep-01')

  await t.test("a lead score's reasons are visible, in Chinese and in English", async () => {
    const list = await ctx.apiCall(ctx.url, 'GET', '/leads?sort=-score&limit=1', undefined, tok)
    const lead = list.data.items[0]
    const score = await ctx.apiCall(ctx.url, 'GET', `/leads/${lead.id}/score`, undefined, tok)
    const reasons = [...score.data.reasons.positive, ...score.data.reasons.negative]
    assert.ok(reasons.length > 0, 'the API gives reasons')
    await page.goto(ctx.url + '/leads')
    const badge = page.locator(`[data-test=score-${lead.id}]`)
    await badge.waitFor()
    await badge.click()
    const pop = page.locator(`[data-test=score-reasons-${lead.id}]`)
    await pop.locator('[data-test=score-reason]').first().waitFor()
    const zh = await pop.innerText()
    for (const r of reasons) assert.ok(zh.includes(r.text_zh), 'shows ' + r.text_zh)
    await ctx.screenshot(page, 'sales-leads-popover')
    await page.keyboard.press('Escape')
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    await badge.click()
    await pop.locator('[data-test=score-reason]').first().waitFor()
    const en = await pop.innerText()
    for (const r of reasons) assert.ok(en.includes(r.text_en), 'shows ' + r.text_en)
    await page.keyboard.press('Escape')
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN')
  })

  await t.test('a saved view round-trips', async () => {
    await page.goto(ctx.url + '/leads')
    await page.locator('[data-test=leads-table]').waitFor()
    await page.fill('[data-test=leads-q]', '空调')
    await page.press('[data-test=leads-q]', 'Enter')
    await page.click('[data-test=view-save]')
    await page.fill('[data-test=view-name]', 'E2E 空调线索')
    await page.click('[data-test=view-save-confirm]')
    let saved
    for (let i = 0; i < 20 && !saved; i++) {
      const views = await ctx.apiCall(ctx.url, 'GET', '/views?kind=list&entity=leads', undefined, tok)
      saved = views.data.items.find((v) => v.name === 'E2E 空调线索')
      if (!saved) await page.waitForTimeout(200)
    }
    assert.ok(saved, 'GET /views has it')
    const cfg = typeof saved.config === 'string' ? JSON.parse(saved.config) : saved.config
    assert.equal(cfg.filters.q, '空调')
    await page.reload()
    await page.locator('[data-test=leads-table]').waitFor()
    assert.equal(await page.inputValue('[data-test=leads-q]'), '')
    await page.click('[data-test=view-select]')
    await page.click(`[data-test=view-option-${saved.id}]`)
    await page.waitForFunction(() => document.querySelector('[data-test=leads-q]')?.value === '空调')
    const expect = await ctx.apiCall(ctx.url, 'GET', '/leads?q=' + encodeURIComponent('空调') + '&sort=-score&limit=50', undefined, tok)
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=leads-table] .el-table__body-wrapper tbody tr').length === n, expect.data.items.length)
  })

  await t.test('the kanban shows deals by stage and a move changes the stage on the server', async () => {
    const open = await ctx.apiCall(ctx.url, 'GET', '/opportunities?stage=qualification&limit=1', undefined, tok)
    const deal = open.data.items[0]
    assert.ok(deal, 'the rep has a deal in qualification')
    await page.goto(ctx.url + '/opportunities')
    await page.click('[data-test=opp-mode-kanban]')
    const card = page.locator(`[data-test=kanban-col-qualification] [data-test=kanban-card-${deal.id}]`)
    await card.waitFor()
    // Column heads count every deal of the stage (the aggregate), not only the loaded cards.
    const agg = (await ctx.apiCall(ctx.url, 'GET', '/opportunities/aggregate?group_by=stage&measures=count,sum:amount', undefined, tok)).data
    const qual = agg.groups.find((g) => g.key.stage === 'qualification')
    assert.ok(qual && qual.values.count >= 1, 'the aggregate counts the qualification deals')
    await page.waitForFunction((n) => (document.querySelector('[data-test=kanban-count-qualification]')?.textContent ?? '').match(/\d[\d,]*/)?.[0].replace(/,/g, '') === String(n),
      qual.values.count)
    await ctx.screenshot(page, 'sales-deals-kanban')
    await card.dragTo(page.locator('[data-test=kanban-col-proposal]'))
    let now
    for (let i = 0; i < 25; i++) {
      now = await ctx.apiCall(ctx.url, 'GET', `/opportunities/${deal.id}`, undefined, tok)
      if (now.data.stage === 'proposal') break
      await page.waitForTimeout(200)
    }
    if (now.data.stage !== 'proposal') {
      // Drag and drop did not reach the page: use the card's "move to" menu.
      await page.click(`[data-test=kanban-move-${deal.id}]`)
      await page.click(`[data-test=move-${deal.id}-proposal]`)
      for (let i = 0; i < 25; i++) {
        now = await ctx.apiCall(ctx.url, 'GET', `/opportunities/${deal.id}`, undefined, tok)
        if (now.data.stage === 'proposal') break
        await page.waitForTimeout(200)
      }
    }
    assert.equal(now.data.stage, 'proposal')
    await page.locator(`[data-test=kanban-col-proposal] [data-test=kanban-card-${deal.id}]`).waitFor()
    // A refused move (won straight from proposal is allowed; back two steps is not) puts the card back.
    await page.click(`[data-test=kanban-move-${deal.id}]`)
    await page.click(`[data-test=move-${deal.id}-prospecting]`)
    await page.locator('.el-message--error').waitFor()
    await page.locator(`[data-test=kanban-col-proposal] [data-test=kanban-card-${deal.id}]`).waitFor()
    const after = await ctx.apiCall(ctx.url, 'GET', `/opportunities/${deal.id}`, undefined, tok)
    assert.equal(after.data.stage, 'proposal')
    await page.setViewportSize({ width: 390, height: 844 })
    await ctx.screenshot(page, 'sales-deals-kanban-phone')
    await page.setViewportSize({ width: 1440, height: 900 })
  })

  await t.test('a lead page shows the best contact time and the timeline', async () => {
    const list = await ctx.apiCall(ctx.url, 'GET', '/leads?sort=-score&limit=1', undefined, tok)
    const lead = list.data.items[0]
    const best = await ctx.apiCall(ctx.url, 'GET', `/leads/${lead.id}/best-contact-time`, undefined, tok)
    const acts = await ctx.apiCall(ctx.url, 'GET', `/activities?lead_id=${lead.id}&sort=-occurred_at&limit=20`, undefined, tok)
    await page.goto(ctx.url + '/leads/' + lead.id)
    await page.locator('[data-test=best-slot]').first().waitFor()
    const slots = await page.locator('[data-test=best-slot]').allInnerTexts()
    assert.equal(slots.length, best.data.windows.length)
    assert.ok(slots[0].includes(best.data.windows[0].label_zh))
    if (acts.data.items.length) {
      await page.locator('[data-test=timeline-item]').first().waitFor()
      assert.equal(await page.locator('[data-test=timeline-item]').count(), acts.data.items.length)
    }
    await page.locator('[data-test=lead-score] [data-test=score-reason]').first().waitFor()
    await ctx.screenshot(page, 'sales-lead-page')
  })

  await t.test('the deal page shows stage history and talk tracks', async () => {
    const open = await ctx.apiCall(ctx.url, 'GET', '/opportunities?outcome=open&limit=1', undefined, tok)
    const deal = open.data.items[0]
    const hist = await ctx.apiCall(ctx.url, 'GET', `/opportunities/${deal.id}/stage-history`, undefined, tok)
    await page.goto(ctx.url + '/opportunities/' + deal.id)
    await page.locator('[data-test=opp-title]').waitFor()
    await page.locator('[data-test=opp-score] [data-test=score-reason]').first().waitFor()
    const h = await page.locator('[data-test=stage-history]').innerText()
    assert.ok(h.includes('初步接触') || hist.data.items.length === 0)
    await page.locator('[data-test=talk-tracks]').waitFor()
    await ctx.screenshot(page, 'sales-deal-page')
  })

  await t.test("an outside signal about the deal's customer shows on the deal page", async () => {
    const open = await ctx.apiCall(ctx.url, 'GET', '/opportunities?outcome=open&limit=1', undefined, tok)
    const deal = open.data.items[0]
    const cust = await ctx.apiCall(ctx.url, 'GET', `/customers/${deal.customer_id}`, undefined, tok)
    const title = `${cust.data.name}门店升级改造项目招标（e2e）`
    const posted = await ctx.apiCall(ctx.url, 'POST', '/events', [
      { type: 'signal', id: 'e2e-signal-1', kind: 'tender', source: '采招网', title, customer_code: cust.data.code,
        at: new Date().toISOString(), sentiment: 0.4, url: 'https://example.com/tender/1' },
    ], tok)
    assert.equal(posted.data.accepted, 1, JSON.stringify(posted.data))
    const api = await ctx.apiCall(ctx.url, 'GET', `/customers/${deal.customer_id}/signals`, undefined, tok)
    assert.equal(api.data.items[0].title, title)
    await page.goto(ctx.url + '/opportunities/' + deal.id)
    const list = page.locator('[data-test=signal-list]')
    await list.locator(`[data-test=signal-${api.data.items[0].id}]`).waitFor()
    const text = await list.innerText()
    assert.ok(text.includes(title), 'the signal title is shown')
    assert.ok(text.includes('招标') && text.includes('采招网'), 'with its kind and source')
  })
  await page.close()
}
