// Toasts for the outcome of an action: the API error in the reader's language, or "saved".
import { ElMessage } from 'element-plus'
import { ApiError } from '@/api'
import { i18n } from '@/i18n'

export function showError(e: unknown) {
  const msg = e instanceof ApiError ? e.text(i18n.global.locale.value) + (e.field ? ` (${e.field})` : '') : String((e as Error)?.message ?? e)
  ElMessage({ type: 'error', message: msg, showClose: true, duration: 6000 })
}

export function showOk(key = 'common.saved') {
  ElMessage({ type: 'success', message: i18n.global.t(key) })
}

// Runs an action, toasting its error; returns undefined on failure.
export async function attempt<T>(f: () => Promise<T>, okKey?: string): Promise<T | undefined> {
  try {
    const r = await f()
    if (okKey) showOk(okKey)
    return r
  } catch (e) {
    showError(e)
    return undefined
  }
}
