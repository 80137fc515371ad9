// Small helpers the studio screens share.
import { ApiError } from '@/api'
import { i18n } from '@/i18n'

// The message of an error that is about `key` (the key itself or an element of it), else ''.
export function fieldError(err: unknown, key: string): string {
  if (!(err instanceof ApiError) || !err.field) return ''
  const f = err.field
  if (f === key || f.startsWith(key + '[') || f.startsWith(key + '.') || f.startsWith(key + '@')) return err.text(i18n.global.locale.value)
  return ''
}

// A label that is {zh, en}, one text, or absent.
export function labelText(l: any, fallback = ''): string {
  if (!l) return fallback
  if (typeof l === 'string') return l
  const zh = i18n.global.locale.value.startsWith('zh')
  return (zh ? l.zh || l.en : l.en || l.zh) || fallback
}

export function debounce<A extends any[]>(f: (...a: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | null = null
  const d = (...a: A) => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => f(...a), ms)
  }
  d.cancel = () => timer && clearTimeout(timer)
  return d
}
