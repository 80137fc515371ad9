// The API client: every call carries the session's bearer token (no cookies), errors become
// ApiError with the server's stable code, zh/en message and field, and a 401 ends the session.
import { session, clearSession } from './session'

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

export const api = {
  get: <T = any>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T = any>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, body ?? {}, query),
  patch: <T = any>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T = any>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: <T = any>(path: string) => request<T>('DELETE', path),
  // Every page of a list (cursor pagination), up to `max` items; `progress` hears the count so far.
  async all<T = any>(path: string, query: Query = {}, max = 2000, progress?: (n: number) => void): Promise<T[]> {
    const out: T[] = []
    let cursor: string | null = null
    do {
      const page: { items: T[]; next_cursor: string | null } = await request('GET', path, undefined, {
        ...query,
        limit: 500,
        cursor,
      })
      out.push(...page.items)
      progress?.(out.length)
      cursor = page.next_cursor
    } while (cursor && out.length < max)
    return out
  },
}

// Downloads a response as a file (exports), with the bearer token.
export async function download(path: string, query: Query, filename: string) {
  const res = await fetch('/api/v1' + path + queryString(query), {
    headers: { Authorization: 'Bearer ' + session.token },
  })
  if (!res.ok) {
    const data = await res.json().catch(() => null)
    throw new ApiError(res.status, data?.error ?? { code: 'http.' + res.status, message: 'download failed', message_zh: '下载失败' })
  }
  const blob = await res.blob()
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = filename
  a.click()
  URL.revokeObjectURL(a.href)
}
