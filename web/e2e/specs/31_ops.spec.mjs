// Ops and voice: an order with a line created in the UI, the public feedback page without a
// login, the feedback list and a knowledge base search.
import assert from 'node:assert/strict'

export default async function (t, ctx) {
  const page = await ctx.newPage()
  const rep = await ctx.token(ctx.url, 'sh-rep-01')
  const lead = await ctx.token(ctx.url, 'sh-lead')

  await t.test('an order with a line created through the UI is found by the API', async () => {
    await ctx.login(page, ctx.url, 'sh-rep-01')
    await page.goto(ctx.url + '/orders')
    await page.locator('[data-test=orders-table] .el-table__row').first().waitFor()
    await page.click('[data-test=orders-create]')
    const form = page.locator('.el-dialog').filter({ has: page.locator('[data-test=order-lines-editor]') })
    await form.waitFor()
    const code = await form.locator('[data-test=orders-f-code]').inputValue()
    assert.match(code, /^SO-/)
    await form.locator('[data-test=order-line-product-0]').click()
    // Pick from the search's answer, not from the list shown before it arrived (which it replaces).
    const searched = page.waitForResponse((r) => r.url().includes('/api/v1/products?') && r.url().includes('q='))
    await page.keyboard.type('空调')
    await searched
    const option = page.locator('.el-select-dropdown__item:visible').first()
    await option.waitFor()
    await option.click()
    await form.locator('[data-test=order-line-qty-0] input').fill('2')
    await form.locator('[data-test=order-line-qty-0] input').blur()
    await page.waitForFunction(() => {
      const i = document.querySelector('[data-test=order-line-price-0] input')
      return i && Number(i.value.replace(/,/g, '')) > 0
    })
    const price = Number((await form.locator('[data-test=order-line-price-0] input').inputValue()).replace(/,/g, ''))
    await form.locator('[data-test=orders-save]').click()
    await form.waitFor({ state: 'hidden' })

    const found = await ctx.apiCall(ctx.url, 'GET', `/orders?code=${encodeURIComponent(code)}`, undefined, rep)
    assert.equal(found.data.items.length, 1)
    const order = (await ctx.apiCall(ctx.url, 'GET', `/orders/${found.data.items[0].id}`, undefined, rep)).data
    assert.equal(order.lines.length, 1)
    assert.equal(order.lines[0].qty, 2)
    assert.equal(order.lines[0].unit_price, price)
    assert.equal(order.total, 2 * price)

    // Its lines in the drawer.
    await page.locator('[data-test=orders-table] .el-table__row', { hasText: code }).first().click()
    const drawer = page.locator('[data-test=order-drawer]')
    await drawer.locator('[data-test=order-lines] .el-table__row').first().waitFor()
    assert.equal(await drawer.locator('[data-test=order-lines] .el-table__row').count(), 1)
    await page.waitForTimeout(500) // the drawer's slide-in
    await ctx.screenshot(page, 'ops-orders')
  })

  await t.test('the public feedback page works without a login', async () => {
    const link = await ctx.apiCall(ctx.url, 'POST', '/feedback-links', { title: 'e2e 门店满意度' }, lead)
    assert.equal(link.status, 201)
    const pub = await ctx.newPage()
    await pub.goto(ctx.url + '/f/' + link.data.token)
    await pub.locator('[data-test=pub-title]').waitFor()
    assert.equal((await pub.locator('[data-test=pub-title]').innerText()).trim(), 'e2e 门店满意度')
    assert.ok(!pub.url().includes('/login'))
    await pub.locator('[data-test=pub-rating] .el-rate__item').nth(3).click()
    const text = `安装师傅很专业，服务态度好 e2e-${Date.now()}`
    await pub.locator('[data-test=pub-text]').fill(text)
    await pub.locator('[data-test=pub-name]').fill('王女士')
    await ctx.screenshot(pub, 'voice-public-feedback')
    await pub.click('[data-test=pub-submit]')
    await pub.locator('[data-test=pub-thanks]').waitFor()
    const fb = await ctx.apiCall(ctx.url, 'GET', `/feedback?link_id=${link.data.id}`, undefined, lead)
    const item = fb.data.items.find((f) => f.text === text)
    assert.ok(item, 'the feedback exists')
    assert.equal(item.rating, 4)
    assert.equal(item.channel, 'public_link')
    await pub.close()

    // A link that does not exist says so, in Chinese.
    const bad = await ctx.newPage()
    await bad.goto(ctx.url + '/f/kfb_not-a-real-token')
    const err = bad.locator('[data-test=api-error]')
    await err.waitFor()
    assert.match(await err.innerText(), /feedback_link\./)
    assert.match(await err.innerText(), /[\u4e00-\u9fff]/)
    await bad.close()
  })

  await t.test('the feedback list shows the server’s feedback with its analysis', async () => {
    await page.goto(ctx.url + '/feedback')
    const rows = page.locator('[data-test=feedback-table] .el-table__row')
    await rows.first().waitFor()
    const api = await ctx.apiCall(ctx.url, 'GET', '/feedback?sort=-submitted_at&limit=50', undefined, rep)
    assert.equal(await rows.count(), api.data.items.length)
    await rows.first().click()
    await page.locator('[data-test=feedback-drawer] [data-test=analysis-sentiment]').waitFor()
    await page.waitForTimeout(500)
    await ctx.screenshot(page, 'voice-feedback')
  })

  await t.test('knowledge base search shows the API’s hits with highlighted snippets', async () => {
    await page.goto(ctx.url + '/kb')
    await page.fill('[data-test=kb-q]', '空调')
    await page.click('[data-test=kb-search]')
    await page.locator('[data-test=kb-hit]').first().waitFor()
    const api = await ctx.apiCall(ctx.url, 'GET', '/kb/search?q=' + encodeURIComponent('空调') + '&limit=30', undefined, rep)
    assert.equal(await page.locator('[data-test=kb-hit]').count(), api.data.items.length)
    assert.ok((await page.locator('[data-test=kb-hit] .hit-title').first().innerText()).includes(api.data.items[0].title))
    assert.ok(await page.locator('[data-test=kb-snippet] mark').count() > 0, 'matches are highlighted')
    await ctx.screenshot(page, 'voice-kb-search')
  })
  await page.close()
}
