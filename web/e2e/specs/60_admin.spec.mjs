// System administration as admin: a user created in the browser can log in, an API key's secret
// is shown once and works, a CSV of leads is imported (and a bad row is reported by its line),
// and the audit log shows the user's creation.
import assert from 'node:assert/strict'

async function pickOption(page, text) {
  const item = page.locator('.el-select-dropdown__item:visible', { hasText: text }).first()
  await item.waitFor()
  await item.click()
}

export default async function (t, ctx) {
  const page = await ctx.newPage()
  const admin = await ctx.token(ctx.url, 'admin')
  const stamp = Date.now().toString(36)
  const username = 'e2e-user-' + stamp
  let newUserId = null

  await ctx.login(page, ctx.url, 'admin')

  await t.test('the users list shows what the API returns', async () => {
    await page.goto(ctx.url + '/admin/users')
    await page.locator('[data-test=user-row-admin]').waitFor()
    const table = await page.locator('[data-test=users-table]').innerText()
    const r = await ctx.apiCall(ctx.url, 'GET', '/users?username=sh-lead', undefined, admin)
    const lead = r.data.items[0]
    await page.fill('[data-test=users-search]', 'sh-lead')
    await page.locator('[data-test=user-row-sh-lead]').waitFor()
    const row = await page.locator('[data-test=users-table] .el-table__body tr', { hasText: 'sh-lead' }).first().innerText()
    assert.ok(row.includes(lead.display_name), 'display name shown')
    assert.match(row, /单元负责人/, 'role in Chinese')
    assert.match(row, /上海/, 'unit name shown')
    assert.match(table, /系统管理员/)
    await page.fill('[data-test=users-search]', '')
    await ctx.screenshot(page, 'admin-users')
  })

  await t.test('a user created in the browser can log in; a short password is refused on its field', async () => {
    await page.click('[data-test=user-new]')
    await page.fill('[data-test=user-form-username]', username)
    await page.fill('[data-test=user-form-display-name]', 'E2E 测试用户')
    await page.click('[data-test=user-form-role]')
    await pickOption(page, '销售代表')
    await page.click('[data-test=user-form-unit]')
    await page.locator('.el-tree-select__popper:visible .el-tree-node__content', { hasText: '总部' }).first().click()
    await page.fill('[data-test=user-form-password]', 'short')
    await page.click('[data-test=user-form-save]')
    const err = page.locator('.el-dialog [data-test=api-error]')
    await err.waitFor()
    assert.match(await err.innerText(), /validation\.password_length/)
    assert.match(await page.locator('.el-dialog .el-form-item__error').first().innerText(), /密码/)
    await page.fill('[data-test=user-form-password]', ctx.PASSWORD)
    await page.click('[data-test=user-form-save]')
    await page.locator('[data-test=user-row-' + username + ']').waitFor()

    const r = await ctx.apiCall(ctx.url, 'GET', '/users?username=' + username, undefined, admin)
    assert.equal(r.data.items.length, 1)
    const u = r.data.items[0]
    newUserId = u.id
    assert.equal(u.role, 'rep')
    assert.equal(u.display_name, 'E2E 测试用户')
    const login = await ctx.apiCall(ctx.url, 'POST', '/auth/login', { tenant: 'demo', username, password: ctx.PASSWORD })
    assert.equal(login.status, 200, JSON.stringify(login.data))
    const me = await ctx.apiCall(ctx.url, 'GET', '/auth/me', undefined, login.data.token)
    assert.equal(me.data.user.username, username)
  })

  await t.test('an API key is shown once, works as a bearer token and is never listed', async () => {
    await page.goto(ctx.url + '/admin/api-keys')
    await page.click('[data-test=key-new]')
    await page.fill('[data-test=key-form-name]', 'E2E 集成 ' + stamp)
    await page.click('[data-test=key-form-save]')
    const secret = page.locator('[data-test=key-secret]')
    await secret.waitFor()
    const token = await secret.inputValue()
    assert.match(token, /^kak_/)
    assert.match(await page.locator('[data-test=key-secret-dialog]').innerText(), /只显示这一次/)
    await page.waitForTimeout(500) // let the dialogs' transitions finish
    await ctx.screenshot(page, 'admin-api-key-created')
    const me = await ctx.apiCall(ctx.url, 'GET', '/auth/me', undefined, token)
    assert.equal(me.status, 200)
    assert.equal(me.data.user.username, 'admin')
    await page.click('[data-test=key-secret-done]')
    const list = await ctx.apiCall(ctx.url, 'GET', '/api-keys', undefined, admin)
    const key = list.data.items.find((k) => k.name === 'E2E 集成 ' + stamp)
    assert.ok(key, 'the key is listed')
    assert.ok(!JSON.stringify(list.data).includes(token), 'the list has no secret')
    const table = await page.locator('[data-test=keys-table]').innerText()
    assert.ok(table.includes(key.prefix), 'the prefix is shown')
    assert.ok(!(await page.content()).includes(token), 'the page no longer holds the secret')
    // Revoking it ends its use.
    await page.click('[data-test=key-revoke-' + key.id + ']')
    await page.locator('.el-message-box__btns .el-button--primary').click()
    await page.locator('[data-test=key-revoke-' + key.id + ']').waitFor({ state: 'detached' })
    const after = await ctx.apiCall(ctx.url, 'GET', '/auth/me', undefined, token)
    assert.equal(after.status, 401)
  })

  await t.test('a CSV of leads is imported; a bad row is reported with its line', async () => {
    await page.goto(ctx.url + '/admin/import')
    const title = 'E2E 导入线索 ' + stamp
    const csv =
      'title,company,contact_name,phone,source,channel,rep\n' +
      `${title} 甲,"上海某某电器, 有限公司",王五,13800000001,website,online,sh-rep-01\n` +
      `${title} 乙,杭州测试,李四,13800000002,nowhere,online,sh-rep-01\n` +
      `${title} 丙,苏州测试,赵六,13800000003,referral,offline,sh-rep-01\n`
    await page.setInputFiles('[data-test=import-file]', { name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    const preview = page.locator('[data-test=import-preview]')
    await preview.waitFor()
    assert.match(await preview.innerText(), /上海某某电器, 有限公司/, 'quoted comma kept in the preview')
    await page.click('[data-test=import-submit]')
    await page.locator('[data-test=import-result]').waitFor()
    assert.equal(await page.locator('[data-test=import-received]').innerText(), '3')
    assert.equal(await page.locator('[data-test=import-accepted]').innerText(), '2')
    assert.equal(await page.locator('[data-test=import-rejected]').innerText(), '1')
    const errors = await page.locator('[data-test=import-errors]').innerText()
    assert.ok(await page.locator('[data-test=import-error-line-3]').count(), 'the error names CSV line 3')
    assert.match(errors, /source/)
    assert.match(errors, /只能取以下值/, 'the message is in Chinese')
    await ctx.screenshot(page, 'admin-import-result')
    const r = await ctx.apiCall(ctx.url, 'GET', '/leads?q=' + encodeURIComponent(title), undefined, admin)
    const titles = r.data.items.map((l) => l.title).sort()
    assert.deepEqual(titles, [title + ' 丙', title + ' 甲'])
    assert.equal(r.data.items.find((l) => l.title.endsWith('甲')).company, '上海某某电器, 有限公司')
  })

  await t.test('the audit log shows the user creation with its fields', async () => {
    await page.goto(ctx.url + '/admin/audit-log')
    await page.locator('[data-test=audit-table] .el-table__row').first().waitFor()
    await page.click('[data-test=audit-entity]')
    await pickOption(page, 'users')
    await page.fill('[data-test=audit-entity-id]', String(newUserId))
    await page.click('[data-test=audit-apply]')
    const row = page.locator('[data-test=audit-table] .el-table__row', { hasText: 'E2E 测试用户' }).first()
    await row.waitFor()
    // Only this user's entries remain once the filter applies.
    await page.waitForFunction(() => !document.querySelector('[data-test=audit-table]').innerText.includes('leads'))
    const text = await row.innerText()
    assert.match(text, /新建/)
    assert.match(text, /系统管理员/, 'the actor is admin')
    const log = await ctx.apiCall(ctx.url, 'GET', `/audit-log?entity=users&entity_id=${newUserId}`, undefined, admin)
    const created = log.data.items.find((e) => e.action === 'create')
    assert.ok(created, 'the API has the creation')
    await row.locator('.el-table__expand-icon').click()
    const diff = page.locator('[data-test=audit-diff-' + created.id + ']')
    await diff.waitFor()
    const d = await diff.innerText()
    assert.match(d, new RegExp(username))
    assert.doesNotMatch(d, /keel-e2e-password/, 'no password in the log')
    await ctx.screenshot(page, 'admin-audit-log')
  })

  await t.test('the users screen works at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(ctx.url + '/admin/users')
    await page.locator('[data-test=user-row-admin]').waitFor()
    await page.locator('[data-test=users-table] .el-loading-mask').waitFor({ state: 'detached' }).catch(() => {})
    await page.waitForTimeout(300)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 1, 'no horizontal page overflow: ' + overflow)
    await ctx.screenshot(page, 'admin-users-phone')
    await page.setViewportSize({ width: 1440, height: 900 })
  })

  await t.test("the tenant page shows the server's health, version and storage", async () => {
    const health = (await ctx.apiCall(ctx.url, 'GET', '/health')).data
    const ready = (await ctx.apiCall(ctx.url, 'GET', '/ready')).data
    await page.goto(ctx.url + '/admin/tenant')
    const card = page.locator('[data-test=system-status]')
    // Health and readiness load independently: wait for each one's value before reading the card.
    await card.getByText(health.version, { exact: true }).waitFor()
    await card.getByText(ready.backend, { exact: true }).waitFor()
    const tags = await card.locator('.el-tag').allInnerTexts()
    assert.deepEqual(tags.map((s) => s.trim()), ['正常', '正常'], 'health and readiness both OK')
  })

  assert.deepEqual(page.errors, [])
  await page.close()
}
