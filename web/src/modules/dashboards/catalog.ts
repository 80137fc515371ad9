// The tenant's metric definitions (GET /metrics), loaded once per page session, and the widget model.
import { api, type Item } from '@/api'

export type MetricDef = Item<'/metrics'>

export type WidgetType = 'number' | 'line' | 'bar' | 'pie' | 'gauge' | 'table'
export interface Widget {
  id: string
  x: number
  y: number
  w: number
  h: number
  type: WidgetType
  metric: string
  range: string
  dims: string[]
  grain?: string | null
  title?: string
  top?: number
}

export const WIDGET_TYPES: WidgetType[] = ['number', 'line', 'bar', 'pie', 'gauge', 'table']
export const RANGES = ['today', 'yesterday', 'last_7_days', 'last_30_days', 'this_week', 'this_month', 'last_month', 'this_quarter', 'this_year', 'last_12_months']
export const GRAINS = ['hour', 'day', 'week', 'month']

let catalog: Promise<MetricDef[]> | null = null
export function metricCatalog(): Promise<MetricDef[]> {
  if (!catalog) {
    catalog = api.GET('/metrics').then((r) => r.items)
    catalog.catch(() => (catalog = null))
  }
  return catalog
}

// Sensible sizes per type on the 12-column grid.
export function defaultSize(type: WidgetType): { w: number; h: number } {
  if (type === 'number') return { w: 3, h: 2 }
  if (type === 'gauge') return { w: 3, h: 3 }
  if (type === 'table') return { w: 6, h: 4 }
  return { w: 6, h: 4 }
}

export function newId(): string {
  return 'w' + Date.now().toString(36) + Math.random().toString(36).slice(2, 6)
}
