// HTML escaping for the few places that build markup from data instead of letting Vue's text
// interpolation do it: ECharts tooltip formatters written as functions (ECharts sets what they
// return as the tooltip's innerHTML; its own default tooltips and string templates escape) and
// `v-html` (search snippets whose <em> marks are put back after escaping). Store, unit, rep,
// customer and account names are typed by people — some by anonymous ones — so every value
// interpolated into such markup goes through escapeHtml.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c])
}

// Escaped text with the <em>…</em> marks a search engine put around matched words kept (as
// `mark`, e.g. 'em' or 'mark'); any other tag in the text stays visible text.
export function escapeKeepingEm(v: unknown, mark = 'em'): string {
  return escapeHtml(v).replace(/&lt;em&gt;/g, `<${mark}>`).replace(/&lt;\/em&gt;/g, `</${mark}>`)
}
