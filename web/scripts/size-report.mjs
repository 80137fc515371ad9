// Prints the size of every built JS/CSS chunk (raw and gzip) and the total a first visit to the
// war room loads, and writes dist/size-report.json.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'

const dist = new URL('../dist/', import.meta.url).pathname
const assets = join(dist, 'assets')
const rows = readdirSync(assets)
  .filter((f) => /\.(js|css)$/.test(f))
  .map((f) => {
    const buf = readFileSync(join(assets, f))
    return { file: f, bytes: statSync(join(assets, f)).size, gzip: gzipSync(buf).length }
  })
  .sort((a, b) => b.bytes - a.bytes)
const kb = (n) => (n / 1024).toFixed(1).padStart(8) + ' KiB'
console.log('\nbundle (per chunk, raw / gzip):')
for (const r of rows) console.log(`  ${r.file.padEnd(48)} ${kb(r.bytes)} ${kb(r.gzip)}`)
const total = rows.reduce((a, r) => ({ bytes: a.bytes + r.bytes, gzip: a.gzip + r.gzip }), { bytes: 0, gzip: 0 })
console.log(`  ${'all chunks'.padEnd(48)} ${kb(total.bytes)} ${kb(total.gzip)}`)
// What index.html loads up front (entry + its static imports).
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const initial = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.(?:js|css))"/g)].map((m) => m[1])
const init = rows.filter((r) => initial.includes(r.file)).reduce((a, r) => ({ bytes: a.bytes + r.bytes, gzip: a.gzip + r.gzip }), { bytes: 0, gzip: 0 })
console.log(`  ${'loaded by index.html (entry + preloads)'.padEnd(48)} ${kb(init.bytes)} ${kb(init.gzip)}\n`)
writeFileSync(join(dist, 'size-report.json'), JSON.stringify({ chunks: rows, total, initial: { files: initial, ...init } }, null, 2))
