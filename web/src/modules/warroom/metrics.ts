// Helpers over GET /metrics/query shared by the war room, the team page and dashboards.
import { api, type Query, type Reply } from '@/api'
import { pick } from '@/i18n'
import { loadUnits, refs } from '@/refs'
import { money, moneyShort, num, pct } from '@/format'

// The reply of /metrics/query, as the OpenAPI document describes it.
export type MetricResult = Reply<'/metrics/query'>
export type MetricGroup = MetricResult['groups'][number]
export type MetricValue = MetricGroup['values'][string]
export type MetricMeta = MetricResult['metrics'][number]

// English names of units (regions, teams) come from the shared reference cache; a caller who
// cannot list units sees the Chinese names.
function loadUnitNames(): Promise<void> {
  return loadUnits().catch(() => {})
}

// Dimensions whose values are units, named in English from the list above.
const UNIT_DIMS = ['region', 'unit', 'team']

// A query grouped by a unit dimension waits for the units' English names (fetched alongside);
// any other (the war room's KPIs) goes straight to the server.
export async function queryMetrics(q: Query): Promise<MetricResult> {
  const byUnit = String(q.group_by ?? '').split(',').some((d) => UNIT_DIMS.includes(d))
  if (!byUnit) return api.GET('/metrics/query', { query: q })
  const [res] = await Promise.all([api.GET('/metrics/query', { query: q }), loadUnitNames()])
  return res
}

export function metricLabel(m: { label?: any; label_zh?: string; label_en?: string; name: string }): string {
  if (m.label && typeof m.label === 'object') return pick(m.label.zh, m.label.en) || m.name
  return pick(m.label_zh ?? m.label, m.label_en ?? m.label) || m.name
}

// A metric value formatted by its unit.
export function fmtValue(v: number | null | undefined, unit: string | null | undefined, short = false): string {
  if (v === null || v === undefined) return '—'
  if (unit === 'yuan') return short ? moneyShort(v) : money(v, 0)
  if (unit === 'ratio') return pct(v)
  if (unit === 'percent') return num(v, 1) + '%'
  if (unit === 'minutes') return num(v, 1)
  return num(v, Number.isInteger(v) ? 0 : 2)
}

// "2026-11-02T00:00:00+08:00" → "11-02" (the local date as the server wrote it).
export function pointDay(t: string): string {
  return t.slice(5, 10)
}
export function pointHour(t: string): string {
  return t.slice(11, 16)
}

export function groupName(g: MetricGroup, dim: string, unassigned: string): string {
  const x = g.group[dim]
  if (!x) return ''
  if (!x.value || x.name === '—') return unassigned
  // Units (regions, teams) have English names; people and stores keep theirs.
  const name = x.name ?? ''
  if (UNIT_DIMS.includes(dim)) return pick(name, refs.units[Number(x.value)]?.name_en || name)
  return name
}
