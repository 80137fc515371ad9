// A request as a screen shows it: `loading` while it runs (for v-loading and :loading), `error`
// for <error-text> (cleared when a new run starts), and `run`, which returns the result, or
// undefined when it failed (the error is in `error`, never thrown).
import { ref } from 'vue'

export function useRequest() {
  const loading = ref(false)
  const error = ref<unknown>(null)
  async function run<T>(f: () => Promise<T>): Promise<T | undefined> {
    loading.value = true
    error.value = null
    try {
      return await f()
    } catch (e) {
      error.value = e
      return undefined
    } finally {
      loading.value = false
    }
  }
  return { loading, error, run }
}

// Only the flag, for an action whose failure is toasted or shown elsewhere: `busy(f)` sets it
// while f runs and rethrows.
export function useLoading() {
  const loading = ref(false)
  async function busy<T>(f: () => Promise<T>): Promise<T> {
    loading.value = true
    try {
      return await f()
    } finally {
      loading.value = false
    }
  }
  return { loading, busy }
}
