// Logging in, the language switch, a deep link after login, and logging out.
import assert from 'node:assert/strict'

export default async function (t, ctx) {
  const page = await ctx.newPage()

  await t.test('a wrong password is refused with the server message, in Chinese', async () => {
    await page.goto(ctx.url + '/login')
    await page.fill('[data-test=login-tenant]', 'demo')
    await page.fill('[data-test=login-username]', 'admin')
    await page.fill('[data-test=login-password]', 'not-the-password')
    await page.click('[data-test=login-submit]')
    const err = page.locator('[data-test=api-error]')
    await err.waitFor()
    assert.match(await err.innerText(), /auth\./)
    assert.match(await err.innerText(), /[\u4e00-\u9fff]/, 'the message is in Chinese by default')
  })

  await t.test('a deep link asks for a login, then opens', async () => {
    await page.goto(ctx.url + '/alerts')
    await page.waitForURL(/\/login\?next=/)
    await page.fill('[data-test=login-username]', 'admin')
    await page.fill('[data-test=login-password]', ctx.PASSWORD)
    await page.click('[data-test=login-submit]')
    await page.waitForURL((u) => u.pathname === '/alerts')
    await page.locator('.el-menu').first().waitFor()
  })

  await t.test('the language switch turns the menu into English and back', async () => {
    await page.goto(ctx.url + '/')
    const nav = page.locator('.el-menu').first()
    await nav.waitFor()
    const zh = await nav.innerText()
    assert.match(zh, /作战指挥部/)
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    const en = await nav.innerText()
    assert.match(en, /War room/)
    assert.doesNotMatch(en, /作战指挥部/)
    // The choice survives a reload.
    await page.reload()
    await page.locator('.el-menu').first().waitFor()
    assert.match(await page.locator('.el-menu').first().innerText(), /War room/)
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN')
  })

  await t.test('logging out ends the session', async () => {
    await page.click('[data-test=user-menu]')
    await page.click('[data-test=logout]')
    await page.waitForURL(/\/login/)
    await page.goto(ctx.url + '/war-room')
    await page.waitForURL(/\/login/)
  })
  await page.close()
}
