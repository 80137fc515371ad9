// The API client: every call carries the session's bearer token (no cookies), errors become
// ApiError with the server's stable code, zh/en message and field, and a 401 ends the session.
// Typed calls (api.GET/POST/PATCH/PUT/DELETE/ALL) take their path, parameters, body and reply from
// the OpenAPI document: src/generated/openapi.d.ts is generated from docs/openapi.json by
// `npm run gen:api` (the first step of `npm run build`), so a server change that breaks a screen
// fails the type check.
import { session, clearSession } from './session'
import type { components, paths } from './generated/openapi'

export interface ApiErrorBody {
  code: string
  message: string
  message_zh: string
  field?: string | null
  request_id?: string
}

export class ApiError extends Error {
  status: number
  code: string
  messageEn: string
  messageZh: string
  field: string | null
  // The whole reply (a report that comes with an error, e.g. an import's per-row errors).
  body: any
  constructor(status: number, body: ApiErrorBody, whole: any = null) {
    super(body.message)
    this.body = whole
    this.status = status
    this.code = body.code
    this.messageEn = body.message
    this.messageZh = body.message_zh
    this.field = body.field ?? null
  }
  // The message in the reader's language.
  text(locale: string): string {
    return locale.startsWith('zh') ? this.messageZh || this.messageEn : this.messageEn
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>

export function queryString(q?: Query): string {
  if (!q) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.append(k, String(v))
  const s = p.toString()
  return s ? '?' + s : ''
}

let onUnauthenticated: (() => void) | null = null
export function setUnauthenticatedHandler(f: () => void) {
  onUnauthenticated = f
}

// A body that is not JSON: a file's text with its media type (text/csv, application/yaml …).
export class RawBody {
  constructor(public text: string | Blob, public contentType: string) {}
}

export async function request<T = any>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = {}
  if (session.token) headers['Authorization'] = 'Bearer ' + session.token
  let payload: BodyInit | undefined
  if (body instanceof RawBody) {
    headers['Content-Type'] = body.contentType
    payload = body.text
  } else if (body instanceof Blob) {
    if (body.type) headers['Content-Type'] = body.type
    payload = body
  } else if (body instanceof FormData || typeof body === 'string') {
    payload = body as BodyInit
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  let res: Response
  try {
    res = await fetch('/api/v1' + path + queryString(query), { method, headers, body: payload })
  } catch (e) {
    throw new ApiError(0, {
      code: 'network',
      message: 'the server cannot be reached',
      message_zh: '无法连接服务器',
    })
  }
  const text = await res.text()
  let data: any = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data?.error ?? { code: 'http.' + res.status, message: String(text), message_zh: String(text) }, data)
    if (res.status === 401 && session.token && !path.startsWith('/auth/login')) {
      clearSession()
      onUnauthenticated?.()
    }
    throw err
  }
  return data as T
}

// The API path of an entity's records: entity names (budget_transfers, the `object` of an approval)
// are spelt in kebab-case in URLs (/budget-transfers); the snake_case spellings are deprecated.
export function entityPath(entity: string): string {
  return '/' + entity.replace(/_/g, '-')
}

// ---- Types from the document ----

// The document's schemas by name: Schema<'Opportunity'>.
export type Schemas = components['schemas']
export type Schema<N extends keyof Schemas> = Schemas[N]

// The document's paths without the /api/v1 prefix, which request() adds.
export type Paths = { [K in keyof paths as K extends `/api/v1${infer R}` ? R : never]: paths[K] }
export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete'
export type PathWith<M extends Method> = { [P in keyof Paths]: Paths[P][M] extends object ? P : never }[keyof Paths]
type Op<P extends keyof Paths, M extends Method> = Extract<Paths[P][M], object>

// A stored record always has its id. The entity schemas double as create bodies, where `id` is
// read-only and therefore not required; a reply's records (and a list's items) get it back.
export type Stored<T> = T extends object ? ('id' extends keyof T ? T & { id: NonNullable<T['id']> } : T) : T
type Replied<T> = T extends { items: (infer E)[] } ? Omit<T, 'items'> & { items: Stored<E>[] } : Stored<T>
type JsonOf<R> = R extends { content: infer C } ? (C extends { 'application/json': infer J } ? J : unknown) : unknown
type Success<Rs> = Rs[Extract<keyof Rs, 200 | 201 | 202 | 207>]

// The success reply of an operation: Reply<'/opportunities/{id}'>, Reply<'/quotes', 'post'>.
export type Reply<P extends keyof Paths, M extends Method = 'get'> = Replied<JsonOf<Success<Op<P, M>['responses']>>>
// One item of a list reply: Item<'/opportunities'>.
export type Item<P extends keyof Paths, M extends Method = 'get'> = Reply<P, M> extends { items: (infer E)[] } ? E : never
// The body an operation takes: its JSON schema, or a RawBody/Blob when it takes another media type.
type BodyOf<O> = O extends { requestBody?: infer B } ? BodyContent<NonNullable<B>> : never
type BodyContent<B> = B extends { content: infer C }
  ? (C extends { 'application/json': infer J } ? J : never) | (Exclude<keyof C, 'application/json'> extends never ? never : RawBody | Blob)
  : never
export type Body<P extends keyof Paths, M extends Method = 'post'> = BodyOf<Op<P, M>>
type PathParams<O> = O extends { parameters: { path: infer PP } } ? PP : never

// What a typed call takes besides its path: `path` (required when the path has {params}), `query`
// (lists' filters are open-ended — field=, field_gte= … — so it stays a Query), and `body`.
type Options<O> = ([PathParams<O>] extends [never] ? { path?: undefined } : { path: PathParams<O> }) & {
  query?: Query
} & ([BodyOf<O>] extends [never] ? { body?: undefined } : O extends { requestBody: object } ? { body: BodyOf<O> } : { body?: BodyOf<O> })
type Args<O> = [PathParams<O>] extends [never] ? (O extends { requestBody: object } ? [opts: Options<O>] : [opts?: Options<O>]) : [opts: Options<O>]

// '/opportunities/{id}' with {id: 7} → '/opportunities/7'.
function fill(path: string, params?: Record<string, unknown>): string {
  return path.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params?.[k]
    if (v === undefined || v === null) throw new Error(`missing path parameter ${k} of ${path}`)
    return encodeURIComponent(String(v))
  })
}

function typed<M extends Method>(method: string) {
  return <P extends PathWith<M>>(path: P, ...args: Args<Op<P, M>>): Promise<Reply<P, M>> => {
    const o: { path?: Record<string, unknown>; query?: Query; body?: unknown } = (args as unknown[])[0] ?? {}
    const body = o.body === undefined && method === 'POST' ? {} : o.body
    return request<Reply<P, M>>(method, fill(path, o.path), body, o.query)
  }
}

export const api = {
  // Typed calls: api.GET('/opportunities/{id}', { path: { id } }) answers Reply<'/opportunities/{id}'>.
  GET: typed<'get'>('GET'),
  POST: typed<'post'>('POST'),
  PATCH: typed<'patch'>('PATCH'),
  PUT: typed<'put'>('PUT'),
  DELETE: typed<'delete'>('DELETE'),
  // Every page of a typed list (cursor pagination), up to `max` items.
  ALL<P extends ListPath>(path: P, query: Query = {}, max = 2000, progress?: (n: number) => void): Promise<Item<P>[]> {
    return api.all<Item<P>>(path, query, max, progress)
  },
  // Untyped calls, for paths built at run time (an entity's records by name) and routes whose
  // reply the document leaves open.
  get: <T = any>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T = any>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, body ?? {}, query),
  patch: <T = any>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T = any>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: <T = any>(path: string) => request<T>('DELETE', path),
  // Every page of a list (the list contract: limit, after → next_after only when more), up to
  // `max` items; `progress` hears the count so far.
  async all<T = any>(path: string, query: Query = {}, max = 2000, progress?: (n: number) => void): Promise<T[]> {
    const out: T[] = []
    let after: string | null = null
    do {
      const page: { items: T[]; next_after?: string | number | null } = await request('GET', path, undefined, {
        ...query,
        limit: 500,
        after,
      })
      out.push(...page.items)
      progress?.(out.length)
      after = page.next_after === undefined || page.next_after === null ? null : String(page.next_after)
    } while (after && out.length < max)
    return out
  },
}

// The paths whose GET answers a cursor page ({items, next_cursor}).
export type ListPath = {
  [P in PathWith<'get'>]: [PathParams<Op<P, 'get'>>] extends [never] ? (Reply<P> extends { items: unknown[]; next_cursor: string | null } ? P : never) : never
}[PathWith<'get'>]

// Downloads a response as a file (exports), with the bearer token. `onProgress` hears the bytes
// received and the total (Content-Length; 0 when unknown) as they come. Returns the export's
// X-Keel-Row-Count and X-Keel-Next-After (set when more rows match than the file holds).
export async function download(path: string, query: Query, filename: string,
  onProgress?: (received: number, total: number) => void): Promise<{ rows: number | null; nextAfter: string | null }> {
  const res = await fetch('/api/v1' + path + queryString(query), {
    headers: { Authorization: 'Bearer ' + session.token },
  })
  if (!res.ok) {
    const data = await res.json().catch(() => null)
    throw new ApiError(res.status, data?.error ?? { code: 'http.' + res.status, message: 'download failed', message_zh: '下载失败' })
  }
  const total = Number(res.headers.get('Content-Length') ?? 0)
  const parts: Uint8Array<ArrayBuffer>[] = []
  if (res.body) {
    const reader = res.body.getReader()
    let received = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      parts.push(value as Uint8Array<ArrayBuffer>)
      received += value.length
      onProgress?.(received, total)
    }
  }
  const blob = new Blob(parts, { type: res.headers.get('Content-Type') ?? 'application/octet-stream' })
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = filename
  a.click()
  URL.revokeObjectURL(a.href)
  const rows = res.headers.get('X-Keel-Row-Count')
  return { rows: rows === null ? null : Number(rows), nextAfter: res.headers.get('X-Keel-Next-After') }
}
