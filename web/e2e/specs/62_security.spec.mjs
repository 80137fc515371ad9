// Data typed by strangers stays data (issue #15 item 13): a public feedback answer whose name is a
// spreadsheet formula is exported to CSV as text ('=…), and a store and a region named with an
// HTML payload show that name as literal text in the war room's chart tooltips — no element is
// made of it and its script never runs. The names are put back afterwards (later specs read them).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

const FORMULA = '=HYPERLINK("http://evil.example","x")'
const XSS = '<img src=x onerror="window.__xss=1">'

// RFC 4180 rows (what a spreadsheet reads), the BOM dropped.
function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const rows = []
  let row = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') row.push(field), (field = '')
    else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field), (field = '')
      rows.push(row), (row = [])
    } else field += c
  }
  if (field !== '' || row.length) row.push(field), rows.push(row)
  return rows
}

// Where a chart draws its points: EChart.vue leaves its instance on its element (the one with the
// data-test), so the test asks it (convertToPixel) and then moves the real mouse there.
async function chartPoints(page, sel) {
  await page.locator(sel).scrollIntoViewIfNeeded()
  await page.waitForFunction((sel) => document.querySelector(sel)?.__echarts, sel)
  return page.evaluate((sel) => {
    const ec = document.querySelector(sel).__echarts
    const o = ec.getOption()
    if (o.series[0].type === 'heatmap') {
      // A heat map: the last column's cell of each row, by its category.
      const x = o.xAxis[0].data.length - 1
      return o.yAxis[0].data.map((name, y) => ({ name, at: ec.convertToPixel({ seriesIndex: 0 }, [x, y]) }))
    }
    return o.series[0].data.map((d) => ({ name: d.name, value: d.value, at: ec.convertToPixel({ seriesIndex: 0 }, d.value) }))
  }, sel)
}

// Moves the mouse onto `at` in the chart and returns its tooltip (the chart's own <div>, not the
// canvas layer) once it shows a first line `want` (any first line when `want` is undefined), or
// null after `timeout` ms.
async function hoverTooltip(page, sel, at, want, timeout = 10000) {
  const box = await page.locator(sel).boundingBox()
  await page.mouse.move(box.x + 2, box.y + 2)
  await page.mouse.move(box.x + at[0], box.y + at[1], { steps: 3 })
  try {
    const h = await page.waitForFunction(
      ({ sel, want }) => {
        const tip = [...document.querySelector(sel).children].find((d) => d.tagName === 'DIV' && !d.querySelector('canvas'))
        if (!tip || getComputedStyle(tip).display === 'none' || !tip.firstChild) return null
        const first = tip.firstChild.textContent
        return want === undefined || first === want ? { first, text: tip.textContent, html: tip.innerHTML } : null
      },
      { sel, want },
      { timeout },
    )
    return await h.jsonValue()
  } catch (e) {
    if (e.name === 'TimeoutError') return null
    throw e
  }
}

export default async function (t, ctx) {
  const page = await ctx.newPage()
  const admin = await ctx.token(ctx.url, 'admin')
  const stamp = Date.now().toString(36)
  await ctx.login(page, ctx.url, 'admin')

  await t.test('a public feedback name that is a formula is exported as text (\'=…) to CSV', async () => {
    const link = await ctx.apiCall(ctx.url, 'POST', '/feedback-links', { title: 'e2e 安全 ' + stamp }, admin)
    assert.equal(link.status, 201, JSON.stringify(link.data))
    const marker = 'e2e-csv-' + stamp
    // Anonymous, as anyone holding the link can: the name is a formula, the text starts with one.
    const posted = await ctx.apiCall(ctx.url, 'POST', '/public/feedback/' + link.data.token, {
      rating: 2, customer_name: FORMULA, text: '+1+1 ' + marker, contact: '@SUM(1)',
    })
    assert.equal(posted.status, 201, JSON.stringify(posted.data))
    const fb = await ctx.apiCall(ctx.url, 'GET', '/feedback?q=' + marker, undefined, admin)
    assert.equal(fb.data.items.length, 1)
    assert.equal(fb.data.items[0].contact_name, FORMULA, 'stored as typed')

    await page.goto(ctx.url + '/admin/import')
    await page.locator('#tab-export').click()
    await page.click('[data-test=export-entity]')
    await page.locator('.el-select-dropdown__item:visible', { hasText: '反馈' }).first().click()
    await page.fill('[data-test=export-q]', marker)
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test=export-run]')])
    assert.match(download.suggestedFilename(), /^keel-feedback-.*\.csv$/)
    const text = readFileSync(await download.path(), 'utf8')
    await page.locator('[data-test=export-progress]', { hasText: '已导出 1 条' }).waitFor()

    const rows = parseCsv(text)
    assert.equal(rows.length, 2, 'the header and one row')
    const [head, row] = rows
    const cell = (name) => row[head.indexOf(name)]
    assert.equal(cell('contact_name'), "'" + FORMULA, 'the formula is text')
    assert.ok(cell('contact_name').startsWith("'="))
    assert.equal(cell('text'), "'+1+1 " + marker)
    assert.equal(cell('contact'), "'@SUM(1)")
    // In the file itself: prefixed, then quoted (its quotes doubled).
    assert.ok(text.includes(`"'=HYPERLINK(""http://evil.example"",""x"")"`), 'quoted in the file')
    // Numbers stay numbers: the rating and the sentiment score (negative ones too) are unprefixed.
    assert.equal(cell('rating'), '2')
    const api = fb.data.items[0]
    if (typeof api.sentiment === 'number') assert.equal(cell('sentiment'), String(api.sentiment))
    // No text cell of the row starts a formula.
    for (const c of row) assert.doesNotMatch(c, /^[=+\-@\t\r]/, `cell ${JSON.stringify(c)}`)
  })

  await t.test('a store and a region named with HTML show it as text in the war room tooltips', async () => {
    // Stores of one city sit close together and bubbles cover each other: the store used is one
    // whose own tooltip shows when the mouse is on its centre (the biggest bubbles, drawn on top,
    // first). And a region with revenue: a row of the heat map.
    await page.goto(ctx.url + '/war-room')
    await page.waitForSelector('[data-test=warroom-stores] canvas')
    const points = (await chartPoints(page, '[data-test=warroom-stores]')).sort((p, q) => q.value[2] - p.value[2])
    let clear = null
    for (const p of points) {
      if (await hoverTooltip(page, '[data-test=warroom-stores]', p.at, p.name, 1500)) {
        clear = { name: p.name, lng: p.value[0], lat: p.value[1] }
        break
      }
    }
    assert.ok(clear, 'a store on the map shows its own tooltip')
    const stores = await ctx.apiCall(ctx.url, 'GET', '/stores?limit=500', undefined, admin)
    const store = stores.data.items.find((s) => s.name === clear.name && s.lng === clear.lng && s.lat === clear.lat)
    assert.ok(store, 'the store ' + clear.name)
    const regions = await ctx.apiCall(ctx.url, 'GET', '/metrics/query?metrics=revenue&range=last_30_days&group_by=region', undefined, admin)
    const regionId = regions.data.groups.find((g) => g.group.region?.value && g.values.revenue.value > 0)?.group.region.value
    assert.ok(regionId, 'a region has revenue')
    const region = (await ctx.apiCall(ctx.url, 'GET', '/units/' + regionId, undefined, admin)).data

    const storeName = XSS + ' 门店'
    const regionName = XSS + ' 大区'
    try {
      const s = await ctx.apiCall(ctx.url, 'PATCH', '/stores/' + store.id, { name: storeName }, admin)
      assert.equal(s.status, 200, JSON.stringify(s.data))
      const u = await ctx.apiCall(ctx.url, 'PATCH', '/units/' + region.id, { name: regionName }, admin)
      assert.equal(u.status, 200, JSON.stringify(u.data))

      await page.reload()
      await page.waitForSelector('[data-test=warroom-stores] canvas')
      await page.waitForSelector('[data-test=warroom-heat] canvas')

      const storeAt = (await chartPoints(page, '[data-test=warroom-stores]')).find((p) => p.name === storeName)
      assert.ok(storeAt, 'the map draws the renamed store')
      // Whatever the tooltips show (an unescaped name would make their first line an <img>).
      const storeTip = await hoverTooltip(page, '[data-test=warroom-stores]', storeAt.at, undefined)
      assert.ok(storeTip, 'the store tooltip shows')
      await ctx.screenshot(page, 'security-warroom-store-tooltip')
      const heatAt = (await chartPoints(page, '[data-test=warroom-heat]')).find((p) => p.name === regionName)
      assert.ok(heatAt, 'the heat map has a row for the renamed region')
      const heatTip = await hoverTooltip(page, '[data-test=warroom-heat]', heatAt.at, undefined)
      assert.ok(heatTip, 'the heat tooltip shows')

      // No element was made of the names, and their handler never ran (an <img src=x> fails fast).
      // index.html's Content-Security-Policy already refuses inline handlers, so without the
      // escaping __xss would stay unset too: the <img> count is what catches an injection.
      await page.waitForTimeout(500)
      assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', 'the payload did not run')
      assert.equal(await page.evaluate(() => document.querySelectorAll('.warroom img').length), 0, 'no <img> in the war room')
      // The names are shown as the literal text, escaped in the tooltips' markup.
      for (const [tip, name] of [[storeTip, storeName], [heatTip, regionName]]) {
        assert.ok(tip.text.includes(name), 'the tooltip shows the literal name: ' + tip.text)
        assert.ok(tip.html.includes('&lt;img src=x onerror='), 'escaped in the markup: ' + tip.html)
      }
    } finally {
      await ctx.apiCall(ctx.url, 'PATCH', '/stores/' + store.id, { name: store.name }, admin)
      await ctx.apiCall(ctx.url, 'PATCH', '/units/' + region.id, { name: region.name }, admin)
    }
    const back = await ctx.apiCall(ctx.url, 'GET', '/stores/' + store.id, undefined, admin)
    assert.equal(back.data.name, store.name, 'the store has its name back')
  })

  assert.deepEqual(page.errors, [])
  await page.close()
}
