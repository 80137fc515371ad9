// Shared helpers of the formula editor: the function table (fetched once), the mapping of an
// API error's `field` (`<key>@<byte offset in UTF-8>`) to a character position in the text.
import { api, ApiError } from '@/api'

export interface FormulaFunction {
  name: string
  signature: string
  description: string
  description_zh: string
  example?: string
  returns?: string
}

export interface ScopeField {
  name: string
  zh?: string
  en?: string
  type?: string
  kind?: 'field' | 'metric' | 'variable'
}

let functionsPromise: Promise<FormulaFunction[]> | null = null
export function formulaFunctions(): Promise<FormulaFunction[]> {
  if (!functionsPromise) {
    functionsPromise = api
      .get<{ items: FormulaFunction[] }>('/formula/functions')
      .then((r) => r.items)
      .catch((e) => {
        functionsPromise = null
        throw e
      })
  }
  return functionsPromise
}

// A byte offset into the UTF-8 encoding of `text` → the JavaScript (UTF-16) index.
export function byteToCharOffset(text: string, byteOffset: number): number {
  let bytes = 0
  let i = 0
  while (i < text.length && bytes < byteOffset) {
    const cp = text.codePointAt(i)!
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    i += cp >= 0x10000 ? 2 : 1
  }
  return i
}

// The position an error points at inside the formula under `key`, or null when the error is
// about something else. `tiers[0].when@15` with key `tiers[0].when` → 15 (bytes).
export function errorByteOffset(err: unknown, key: string): number | null {
  if (!(err instanceof ApiError) || !err.field) return null
  const at = err.field.lastIndexOf('@')
  if (at < 0) return null
  if (err.field.slice(0, at) !== key) return null
  const n = Number(err.field.slice(at + 1))
  return Number.isFinite(n) ? n : null
}

// Whether an error is about the formula under `key` (with or without a position).
export function errorIsFor(err: unknown, key: string): boolean {
  if (!(err instanceof ApiError) || !err.field) return false
  return err.field === key || err.field.startsWith(key + '@')
}
