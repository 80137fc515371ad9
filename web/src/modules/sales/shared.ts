// Shared helpers of the sales screens: score bands from the model card, look-ups of users and
// units by id (cached per session), bilingual texts the server packs into one string.
import { api, type Schema } from '@/api'
import { pick } from '@/i18n'
import { loadUnits, loadUsers, refs } from '@/refs'

type Bands = { A: number; B: number; C: number }
const bandCache: Record<string, Promise<Bands | null>> = {}

// The band thresholds (probabilities) of the active model: 'lead' or 'opportunity'.
export function bandsFor(target: 'lead' | 'opportunity'): Promise<Bands | null> {
  if (!bandCache[target]) {
    bandCache[target] = api
      .get(`/ai/models/${target}`)
      .then((m: any) => {
        const v = (m.versions || []).find((x: any) => x.version === m.active_version) || (m.versions || [])[0]
        return v?.card?.bands ?? null
      })
      .catch(() => null)
  }
  return bandCache[target]
}

export function bandOf(prob: number | null | undefined, bands: Bands | null): string {
  if (prob === null || prob === undefined || !bands) return ''
  if (prob >= bands.A) return 'A'
  if (prob >= bands.B) return 'B'
  if (prob >= bands.C) return 'C'
  return 'D'
}

export const bandColor: Record<string, string> = { A: '#16a34a', B: '#2563eb', C: '#d97706', D: '#9ca3af' }

// Users and units by id, for names in tables and filters: the shared reference cache. A caller
// who may not list users sees ids.
export { userName, unitName } from '@/refs'
export const directory = refs
export function loadDirectory(): Promise<void> {
  return Promise.all([loadUsers().catch(() => {}), loadUnits().catch(() => {})]).then(() => {})
}

// AI tasks carry "中文\nEnglish" in their description.
export function bilingual(text: string | null | undefined): string {
  if (!text) return ''
  const parts = text.split('\n')
  if (parts.length >= 2 && /[\u4e00-\u9fff]/.test(parts[0]) && !/[\u4e00-\u9fff]{2,}/.test(parts[parts.length - 1].replace(/「.*?」|".*?"/g, ''))) {
    return pick(parts[0], parts.slice(1).join('\n'))
  }
  return text
}

export const LEAD_STATUSES = ['new', 'working', 'qualified', 'converted', 'disqualified']
export const LEAD_SOURCES = ['website', 'exhibition', 'referral', 'hotline', 'wechat', 'partner', 'advertising', 'store_walk_in', 'tender']
// A deal's stages, in order (the document's enum of Opportunity.stage).
export type Stage = NonNullable<Schema<'Opportunity'>['stage']>
export const STAGES: Stage[] = ['prospecting', 'qualification', 'proposal', 'negotiation', 'won', 'lost']
export const ACTIVITY_KINDS = ['visit', 'call', 'meeting', 'email', 'demo', 'proposal']
export const OUTCOMES = ['completed', 'connected', 'no_answer', 'positive', 'neutral', 'negative', 'rescheduled']
export const SEGMENTS = ['key_account', 'enterprise', 'smb', 'dealer', 'retail', 'vip']

// Filters of a list as query parameters: empty values left out, arrays joined.
export function toQuery(filters: Record<string, any>): Record<string, string> {
  const q: Record<string, string> = {}
  for (const [k, v] of Object.entries(filters)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) {
      if (v.length) q[k] = v.join(',')
    } else q[k] = String(v)
  }
  return q
}

// A date (YYYY-MM-DD) as the start or end of that day in Shanghai time, for timestamp filters.
export function dayStart(d: string): string {
  return d + 'T00:00:00+08:00'
}
export function dayEnd(d: string): string {
  return d + 'T23:59:59+08:00'
}
