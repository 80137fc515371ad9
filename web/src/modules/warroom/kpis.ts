// The war room's KPI cards: which metrics, and the query that fills them. The route starts the
// query as soon as navigation is allowed (index.ts, beforeEnter), while the screen's chunks are
// still loading; the screen takes that answer when it mounts instead of asking again.
// It imports only the API client: modules' index files load with i18n, which metrics.ts needs.
import { api } from '@/api'
import type { MetricResult } from './metrics'

export const KPI_METRICS = ['revenue', 'orders', 'average_order_value', 'visits', 'new_leads', 'deals_won']
export const KPI_UNITS: Record<string, string> = {
  revenue: 'yuan', orders: 'count', average_order_value: 'yuan', visits: 'count', new_leads: 'count', deals_won: 'count',
}
export const KPI_QUERY = { metrics: KPI_METRICS.join(','), range: 'today', compare: 'previous' }

// An early answer is used only while it is fresh (a navigation that did not finish leaves one).
const FRESH_MS = 5000
let early: { at: number; result: Promise<MetricResult> } | null = null

function query(): Promise<MetricResult> {
  return api.GET('/metrics/query', { query: KPI_QUERY })
}

export function prefetchKpis() {
  const result = query()
  result.catch(() => {}) // the screen sees the error when it takes the answer
  early = { at: performance.now(), result }
}

export function takeKpis(): Promise<MetricResult> {
  const e = early
  early = null
  if (e && performance.now() - e.at < FRESH_MS) return e.result
  return query()
}
