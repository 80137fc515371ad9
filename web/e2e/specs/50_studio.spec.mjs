// The low-code studio: a formula error is underlined where the server says it is (a UTF-8 byte
// offset, with Chinese text before it), fixed and saved; the alert-rule editor; the approval
// workflow designer saves a change that reads back from the API.
import assert from 'node:assert/strict'

const NAME = 'e2e_big_store_orders'

async function typeFormula(page, test, text) {
  await page.click(`[data-test=${test}] .cm-content`)
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  await page.keyboard.type(text, { delay: 5 })
  await page.keyboard.press('Escape') // close the autocomplete
}

export default async function (t, ctx) {
  const page = await ctx.newPage()
  const token = await ctx.token(ctx.url, 'ops')
  await ctx.login(page, ctx.url, 'ops')

  await t.test('a formula error is shown at its position, then fixed and saved', async () => {
    await page.goto(ctx.url + '/studio/metrics/new')
    await page.fill('[data-test=metric-name]', NAME)
    await page.fill('[data-test=metric-label-zh]', '门店大单（测试）')
    await page.fill('[data-test=metric-label-en]', 'Big store orders (test)')
    // Chinese text before the error: the API's offset is in UTF-8 bytes, the editor's in characters.
    const bad = "channel = '门店' AND FOO(total) > 1"
    await typeFormula(page, 'formula-filter', bad)
    const msg = page.locator('[data-test=formula-filter] [data-test=formula-error]')
    await msg.waitFor({ timeout: 10000 })
    assert.match(await msg.innerText(), /FOO/)
    assert.match(await msg.innerText(), /[\u4e00-\u9fff]/, 'the message is in Chinese')

    // What the API says about the same definition.
    const check = await ctx.apiCall(ctx.url, 'POST', '/metrics/check', {
      name: NAME, type: 'simple', source: 'order', agg: 'count', filter: bad, dimensions: ['rep', 'unit'],
    }, token)
    assert.equal(check.status, 400)
    const m = /^filter@(\d+)$/.exec(check.data.error.field)
    assert.ok(m, 'the API gives a position: ' + check.data.error.field)
    const bytes = Number(m[1])

    const mark = page.locator('[data-test=formula-filter] .cm-lintRange-error')
    await mark.first().waitFor({ timeout: 10000 })
    assert.equal(await mark.first().innerText(), 'FOO', 'the marker is on the unknown function')
    const from = Number(await page.getAttribute('[data-test=formula-filter]', 'data-error-from'))
    assert.equal(Buffer.byteLength(bad.slice(0, from), 'utf8'), bytes, 'the marked character is at the API byte offset')
    assert.equal(bad.slice(from, from + 3), 'FOO')
    await ctx.screenshot(page, 'studio-formula-error')

    const good = "channel = 'store' AND total >= 5000"
    await typeFormula(page, 'formula-filter', good)
    await page.waitForSelector('[data-test=formula-filter] [data-test=formula-error]', { state: 'detached', timeout: 10000 })
    assert.equal(await page.locator('[data-test=formula-filter] .cm-lintRange-error').count(), 0)
    await page.waitForFunction(() => document.querySelector('[data-test=metric-check-state]')?.textContent?.includes('校验通过'), null, { timeout: 10000 })

    await page.click('[data-test=metric-save]')
    await page.waitForURL(new RegExp('/studio/metrics/' + NAME), { timeout: 10000 })
    const saved = await ctx.apiCall(ctx.url, 'GET', '/metrics/' + NAME, undefined, token)
    assert.equal(saved.status, 200)
    assert.equal(saved.data.filter, good)
    assert.equal(saved.data.label.zh, '门店大单（测试）')
  })

  await t.test('the metric editor previews the saved metric on live data', async () => {
    await page.goto(ctx.url + '/studio/metrics/effective_visits')
    const total = page.locator('[data-test=metric-preview-total]')
    await total.waitFor({ timeout: 15000 })
    const q = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=effective_visits&range=last_30_days&grain=day', undefined, token)
    const v = q.data.groups[0].values.effective_visits.value
    assert.equal((await total.innerText()).replace(/[^\d.]/g, ''), String(Math.round(v)))
    // The filter is in the editor.
    assert.match(await page.locator('[data-test=formula-filter] .cm-content').innerText(), /duration_min >= 15/)
    await page.waitForTimeout(600)
    await ctx.screenshot(page, 'studio-metric-editor')
  })

  await t.test('the alert-rule editor underlines a bad metric in a tier and saves the fix', async () => {
    await page.goto(ctx.url + '/studio/alert-rules/win_rate_falling')
    // The editor exists before the rule has loaded into it: wait for the text itself.
    await page.waitForFunction(() => /CHANGE_PCT\(4w\) < -30/.test(document.querySelector('[data-test=formula-tier-0] .cm-content')?.textContent ?? ''))
    assert.match(await page.locator('[data-test=formula-tier-0] .cm-content').innerText(), /CHANGE_PCT\(4w\) < -30/)
    const bad = "CHANGE_PCT(4w, 'nope') < -30"
    await typeFormula(page, 'formula-tier-0', bad)
    await page.locator('[data-test=formula-tier-0] [data-test=formula-error]').waitFor({ timeout: 10000 })
    const mark = page.locator('[data-test=formula-tier-0] .cm-lintRange-error')
    await mark.first().waitFor()
    const from = Number(await page.getAttribute('[data-test=formula-tier-0]', 'data-error-from'))
    assert.equal(bad.slice(from).startsWith("'nope'") || bad.slice(from).startsWith('nope'), true, 'marked at the unknown metric: ' + bad.slice(from))
    await ctx.screenshot(page, 'studio-alert-rule-editor')
    const good = 'CHANGE_PCT(4w) < -25'
    await typeFormula(page, 'formula-tier-0', good)
    await page.waitForSelector('[data-test=formula-tier-0] [data-test=formula-error]', { state: 'detached', timeout: 10000 })
    await page.click('[data-test=rule-save]')
    await page.waitForFunction(async () => true)
    let rule
    for (let i = 0; i < 40; i++) {
      rule = await ctx.apiCall(ctx.url, 'GET', '/alert-rules/win_rate_falling', undefined, token)
      if (rule.data.tiers?.[0]?.when === good) break
      await page.waitForTimeout(250)
    }
    assert.equal(rule.data.tiers[0].when, good)
    assert.equal(rule.data.version, 2)
  })

  await t.test('the workflow designer saves a change that reads back from the API', async () => {
    await page.goto(ctx.url + '/studio/workflows')
    await page.click('[data-test=wf-item-expense_claim]')
    await page.locator('[data-test=wf-step-2]').waitFor()
    const before = await ctx.apiCall(ctx.url, 'GET', '/approval-definitions/expense_claim', undefined, token)
    const v0 = Math.max(...before.data.versions.map((v) => v.version))
    // Rename the second step, move the third up, and add a fourth with a condition.
    await page.fill('[data-test=wf-step-title-1]', '战队负责人复核')
    await page.click('[data-test=wf-step-up-2]')
    await page.click('[data-test=wf-add-step]')
    await page.fill('[data-test=wf-step-title-3]', '总经理审批')
    await typeFormula(page, 'formula-step-3', 'totl > 100000')
    await page.locator('[data-test=formula-step-3] [data-test=formula-error]').waitFor({ timeout: 10000 })
    assert.equal(await page.locator('[data-test=formula-step-3] .cm-lintRange-error').first().innerText(), 'totl')
    await typeFormula(page, 'formula-step-3', 'total > 100000')
    await page.waitForSelector('[data-test=formula-step-3] [data-test=formula-error]', { state: 'detached', timeout: 10000 })
    await ctx.screenshot(page, 'studio-workflow-designer')
    await page.click('[data-test=wf-save]')
    let after
    for (let i = 0; i < 40; i++) {
      after = await ctx.apiCall(ctx.url, 'GET', '/approval-definitions/expense_claim', undefined, token)
      if (Math.max(...after.data.versions.map((v) => v.version)) > v0) break
      await page.waitForTimeout(250)
    }
    const latest = after.data.versions.reduce((a, b) => (b.version > a.version ? b : a))
    assert.equal(latest.version, v0 + 1)
    const steps = latest.definition.steps
    assert.equal(steps.length, 4)
    assert.equal(steps[0].name, 'manager')
    assert.equal(steps[1].name, 'hq', 'the third step moved up')
    assert.equal(steps[2].title_zh, '战队负责人复核')
    assert.equal(steps[3].title_zh, '总经理审批')
    assert.equal(steps[3].when, 'total > 100000')
  })

  await t.test('the AI model card shows the active model as the API reports it', async () => {
    await page.goto(ctx.url + '/ai/models')
    const auc = page.locator('[data-test=ai-auc]')
    await auc.waitFor({ timeout: 15000 })
    const m = (await ctx.apiCall(ctx.url, 'GET', '/ai/models/lead', undefined, token)).data
    const active = m.versions.find((v) => v.version === m.active_version)
    assert.equal(await auc.innerText(), active.card.holdout.auc.toFixed(3))
    assert.equal(await page.locator('[data-test=ai-versions] .el-table__body tbody tr').count(), m.versions.length)
    await page.locator('[data-test=ai-monitoring] canvas').first().waitFor()
    await page.waitForTimeout(800)
    await ctx.screenshot(page, 'ai-model-card')
  })

  await t.test('a sentence is analysed by the text service', async () => {
    await page.goto(ctx.url + '/ai/text')
    const text = '价格太贵了，竞品便宜很多'
    await page.fill('[data-test=text-input]', text)
    await page.click('[data-test=text-analyze]')
    await page.locator('[data-test=text-result]').waitFor()
    const r = (await ctx.apiCall(ctx.url, 'POST', '/text/analyze', { text }, token)).data
    const shown = await page.locator('[data-test=text-result]').innerText()
    for (const i of r.intents) assert.ok(shown.includes(i.zh), 'intent ' + i.zh)
    const sent = { positive: '正面', neutral: '中性', negative: '负面' }[r.sentiment.label]
    assert.equal(await page.locator('[data-test=text-sentiment]').innerText(), sent)
    await ctx.screenshot(page, 'ai-text')
  })

  await t.test('phone width: the metric editor stacks', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(ctx.url + '/studio/metrics/' + NAME)
    await page.locator('[data-test=formula-filter] .cm-content').waitFor()
    const w = await page.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(w <= 400, 'no horizontal page overflow: ' + w)
    await ctx.screenshot(page, 'studio-metric-editor-phone')
    await page.setViewportSize({ width: 1440, height: 900 })
  })
  assert.deepEqual(page.errors, [])
  await page.close()
}
