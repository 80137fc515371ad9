// My day as a rep (sh-rep-01): the tasks of GET /me/today in the same order, logging a visit
// from a task with its notes' analysis, marking a task done.
import assert from 'node:assert/strict'

export default async function (t, ctx) {
  const page = await ctx.newPage()
  const token = await ctx.token(ctx.url, 'sh-rep-01')
  const today = (await ctx.apiCall(ctx.url, 'GET', '/me/today?limit=200', undefined, token)).data.items

  await t.test('a rep starts on my day, which lists the tasks of /me/today in the same order', async () => {
    await ctx.login(page, ctx.url, 'sh-rep-01')
    await page.waitForURL(/\/my-day/)
    assert.ok(today.length > 0, 'the demo rep has tasks today')
    await page.locator('[data-test=myday-task]').first().waitFor()
    const ids = await page.locator('[data-test=myday-task]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-task-id'))))
    assert.deepEqual(ids, today.map((i) => i.task_id))
    const firstTitle = await page.locator('[data-test=myday-task-title]').first().innerText()
    assert.equal(firstTitle.trim(), today[0].title)
    const why = await page.locator('[data-test=myday-task-why]').first().innerText()
    assert.equal(why.trim(), today[0].why_zh ?? today[0].why)
    await ctx.screenshot(page, 'myday-today')
  })

  await t.test('logging a visit from a task creates the activity and shows its analysis', async () => {
    const item = today.find((i) => i.related_entity === 'customers')
    assert.ok(item, 'a task about a customer')
    const card = page.locator(`[data-test=myday-task][data-task-id="${item.task_id}"]`)
    await card.locator('[data-test=myday-task-visit]').click()
    const sheet = page.locator('.visit-sheet')
    await sheet.locator('[data-test=visit-notes]').waitFor()
    const notes = `客户对新款空调价格很满意，希望下周安排安装，但担心竞品降价 e2e-${Date.now()}`
    await sheet.locator('[data-test=visit-notes]').fill(notes)
    await sheet.locator('[data-test=visit-outcome-positive]').click()
    await sheet.locator('[data-test=visit-close-task]').click() // keep the task open
    await sheet.locator('[data-test=visit-save]').click()
    await sheet.locator('[data-test=visit-saved]').waitFor()
    await sheet.locator('[data-test=analysis-sentiment]').waitFor()

    const acts = await ctx.apiCall(ctx.url, 'GET', `/activities?customer_id=${item.related_id}&sort=-id&limit=5`, undefined, token)
    const a = acts.data.items.find((x) => x.notes === notes)
    assert.ok(a, 'the activity exists with the notes')
    assert.equal(a.kind, 'visit')
    assert.equal(a.outcome, 'positive')
    const an = (await ctx.apiCall(ctx.url, 'GET', `/activities/${a.id}/analysis`, undefined, token)).data
    const intents = await sheet.locator('[data-test=analysis-intent]').allInnerTexts()
    assert.deepEqual(intents.map((s) => s.trim()), an.intents.map((i) => i.zh))
    assert.equal(await sheet.locator('[data-test=analysis-phrase]').count(), an.key_phrases.length)
    await ctx.screenshot(page, 'myday-visit-analysis')

    // The rep corrects the intents: the note was really about a purchase (and a competitor).
    await sheet.locator('[data-test=correct-intents]').click()
    const select = sheet.locator('[data-test=intent-select]')
    await select.locator('.el-select__caret').click() // not the middle: that is a tag's ×
    for (const label of ['采购意向', '竞品动态']) {
      const opt = page.locator('.el-select-dropdown__item:visible', { hasText: label })
      const selected = await opt.evaluate((el) => el.classList.contains('is-selected'))
      if (!selected) await opt.click()
    }
    // Everything else off.
    for (const other of an.intents.map((i) => i.zh).filter((z) => z !== '采购意向' && z !== '竞品动态')) {
      await page.locator('.el-select-dropdown__item:visible', { hasText: other }).click()
    }
    await page.keyboard.press('Escape')
    await sheet.locator('[data-test=save-intents]').click()
    await page.waitForFunction(
      (id) => document.querySelectorAll('[data-test=analysis-intent]').length === 2,
      a.id,
    )
    const fixed = (await ctx.apiCall(ctx.url, 'GET', `/activities/${a.id}/analysis`, undefined, token)).data
    assert.deepEqual(fixed.intents.map((i) => i.code).sort(), ['competitor', 'purchase_intent'])
    assert.equal(fixed.intent_source, 'correction')
    await sheet.locator('[data-test=visit-finish]').click()
    const task = (await ctx.apiCall(ctx.url, 'GET', `/tasks/${item.task_id}`, undefined, token)).data
    assert.equal(task.status, 'open', 'the task stays open when the box is unticked')
  })

  await t.test('marking a task done closes it on the server and takes it off the list', async () => {
    const item = today[today.length - 1]
    const card = page.locator(`[data-test=myday-task][data-task-id="${item.task_id}"]`)
    await card.locator('[data-test=myday-task-done]').click()
    await card.waitFor({ state: 'detached' })
    const task = (await ctx.apiCall(ctx.url, 'GET', `/tasks/${item.task_id}`, undefined, token)).data
    assert.equal(task.status, 'done')
  })

  await t.test('on a phone the day fits and the visit button is at hand', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.reload()
    await page.locator('[data-test=myday-task]').first().waitFor()
    const btn = await page.locator('[data-test=myday-log-visit]').boundingBox()
    assert.ok(btn && btn.height >= 44 && btn.width >= 300, 'a big visit button')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)
    assert.equal(overflow, false, 'no sideways scrolling')
    await ctx.screenshot(page, 'myday-today-phone')
    await page.setViewportSize({ width: 1440, height: 900 })
  })
  await page.close()
}
