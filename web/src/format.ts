// Numbers, money and times as a person reads them: money in yuan with thousands separators,
// times shown in the tenant's time zone (the API stores UTC).
import { i18n } from './i18n'
import { session } from './session'

export function tz(): string {
  return session.me?.tenant?.time_zone || 'Asia/Shanghai'
}

function loc(): string {
  return i18n.global.locale.value === 'en' ? 'en-US' : 'zh-CN'
}

// Intl formatters are costly to build (the first loads locale data): one per locale and digits.
const numberFormats = new Map<string, Intl.NumberFormat>()

export function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—'
  const key = loc() + digits
  let f = numberFormats.get(key)
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(loc(), { minimumFractionDigits: digits, maximumFractionDigits: digits })))
  return f.format(Number(v))
}

export function money(v: number | string | null | undefined, digits = 2): string {
  if (v === null || v === undefined || v === '') return '—'
  return '¥' + num(Number(v), digits)
}

// Large amounts compactly: ¥1.2万 / ¥3.4亿 in Chinese, ¥12.3K / ¥4.5M in English.
export function moneyShort(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—'
  const a = Math.abs(v)
  if (loc() === 'zh-CN') {
    if (a >= 1e8) return '¥' + (v / 1e8).toFixed(2) + '亿'
    if (a >= 1e4) return '¥' + (v / 1e4).toFixed(1) + '万'
  } else {
    if (a >= 1e9) return '¥' + (v / 1e9).toFixed(2) + 'B'
    if (a >= 1e6) return '¥' + (v / 1e6).toFixed(2) + 'M'
    if (a >= 1e3) return '¥' + (v / 1e3).toFixed(1) + 'K'
  }
  return '¥' + num(v, 0)
}

export function pct(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—'
  return (v * 100).toFixed(digits) + '%'
}

// Date formatters by locale, zone and kind, built once (the same options toLocaleString took).
const dateFormats = new Map<string, Intl.DateTimeFormat>()
function dateFormat(locale: string, kind: 'dateTime' | 'date' | 'iso'): Intl.DateTimeFormat {
  const zone = tz()
  const key = locale + '|' + zone + '|' + kind
  let f = dateFormats.get(key)
  if (!f) {
    const opts: Intl.DateTimeFormatOptions =
      kind === 'dateTime' ? { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }
        : kind === 'date' ? { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }
          : { timeZone: zone }
    dateFormats.set(key, (f = new Intl.DateTimeFormat(locale, opts)))
  }
  return f
}

export function dateTime(v: string | number | null | undefined): string {
  if (!v) return '—'
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) return String(v)
  return dateFormat(loc(), 'dateTime').format(d)
}

export function date(v: string | number | null | undefined): string {
  if (!v) return '—'
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return v
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) return String(v)
  return dateFormat(loc(), 'date').format(d)
}

// Today's date (YYYY-MM-DD) in the tenant's time zone.
export function today(): string {
  return dateFormat('en-CA', 'iso').format(new Date())
}

// The UTC instant (ISO) at which a local date (YYYY-MM-DD) of the tenant's time zone starts —
// for list filters such as created_at_gte. `endOfDay` gives the start of the next day.
export function tenantDayStart(day: string, endOfDay = false): string {
  const [y, m, d] = day.split('-').map(Number)
  const guess = Date.UTC(y, m - 1, d + (endOfDay ? 1 : 0))
  // The zone's offset at that moment: format the instant in the zone and compare.
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz(), hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(guess))
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return new Date(guess - (asUtc - guess)).toISOString()
}
