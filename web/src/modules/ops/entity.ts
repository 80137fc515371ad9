// The shape of a list page in the ops and voice modules: which fields a record has, how each is
// shown and edited, and who may create, edit or archive. EntityList.vue renders it.
import { reactive } from 'vue'
import { api, entityPath } from '@/api'
import { pick } from '@/i18n'

export type FieldType =
  | 'text' | 'textarea' | 'number' | 'money' | 'enum' | 'date' | 'datetime' | 'ref' | 'related' | 'tags' | 'rating' | 'sentiment'

export type RefKind =
  | 'customers' | 'leads' | 'opportunities' | 'stores' | 'products' | 'units' | 'users' | 'promotions' | 'members' | 'orders'

export interface Field {
  key: string
  type: FieldType
  ref?: RefKind
  options?: string[] // enum values, labelled by ops.e.<enumOf ?? key>.<value>
  enumOf?: string
  required?: boolean
  list?: boolean // a column (default true)
  form?: boolean // in the create/edit form (default true)
  filter?: boolean // a filter above the list
  width?: number
  readonlyOnEdit?: boolean
}

export interface EntityConfig {
  name: string // i18n: ops.<name>.title …
  endpoint: string // '/tasks'
  fields: Field[]
  sort?: string
  search?: boolean
  canCreate?: () => boolean
  canEdit?: (row: any) => boolean
  canArchive?: (row: any) => boolean
  defaults?: () => Record<string, any>
  baseQuery?: Record<string, string>
  defaultFilters?: Record<string, string>
}

// How a referenced record is named.
export function refLabel(kind: RefKind, r: any): string {
  if (!r) return ''
  switch (kind) {
    case 'units':
      return pick(r.name, r.name_en)
    case 'products':
      return `${pick(r.name, r.name_en)} · ${r.sku}`
    case 'users':
      return r.display_name || r.username
    case 'members':
      return r.card_no
    case 'orders':
      return r.code
    case 'stores':
      return r.code ? `${r.name} (${r.code})` : r.name
    case 'leads':
      return r.company || r.contact_name || '#' + r.id
    default:
      return r.name || r.title || r.code || '#' + r.id
  }
}

// Names of referenced records, fetched in batches (GET /<kind>?id_in=…) and cached per page load.
export const refCache = reactive<Record<string, Record<number, any>>>({})

export async function loadRefs(kind: RefKind, ids: Array<number | null | undefined>) {
  const have = (refCache[kind] ??= {})
  const want = [...new Set(ids.filter((x): x is number => typeof x === 'number' && !(x in have)))]
  for (let i = 0; i < want.length; i += 200) {
    const chunk = want.slice(i, i + 200)
    try {
      const page = await api.get<{ items: any[] }>(entityPath(kind), { id_in: chunk.join(','), limit: 500, include_archived: true })
      for (const r of page.items) have[r.id] = r
    } catch {
      // a reference the caller may not read keeps showing its id
    }
    for (const id of chunk) if (!(id in have)) have[id] = null
  }
}

export function refName(kind: RefKind | string | undefined | null, id: number | null | undefined): string {
  if (!kind || id === null || id === undefined) return ''
  const r = refCache[kind]?.[id]
  return r ? refLabel(kind as RefKind, r) : '#' + id
}

// Where a record's page is (pages other modules build).
export function recordPath(kind: string | null | undefined, id: number | null | undefined): string | null {
  if (!kind || !id) return null
  const pages = ['customers', 'leads', 'opportunities', 'orders', 'stores', 'quotes', 'contracts', 'approvals', 'expenses']
  if (!pages.includes(kind)) return null
  return `/${kind}/${id}`
}
