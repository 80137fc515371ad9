// The admin screens' list → create → delete pattern (API keys, webhooks, grants): the list with
// the reference data it names (loaded together), the create dialog with errors under their
// fields, and removal after a confirmation. Each screen keeps its form, columns and extras.
import { ref, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ElMessageBox } from 'element-plus'
import { api, request, type Body, type Item, type PathWith, type Reply } from '@/api'
import { showError, showOk } from '@/components/notify'
import { useRequest } from '@/composables/useRequest'
import { fieldError } from './refs'

// The paths whose GET lists records ({items}) and whose POST makes one: '/api-keys', '/webhooks'.
type CrudPath = { [P in PathWith<'get'> & PathWith<'post'>]: Reply<P> extends { items: { id: number }[] } ? P : never }[PathWith<'get'> & PathWith<'post'>]

// The rows, the create body and the created reply are the document's for `path`.
export function useCrud<P extends CrudPath>(o: {
  path: P // '/api-keys'
  refs?: () => Promise<unknown>[] // reference data the list names (users, units)
}) {
  type T = Item<P> & { id: number }
  const { t, locale } = useI18n()
  const items = ref([]) as Ref<T[]>
  const list = useRequest()
  async function load() {
    await list.run(async () => {
      const [r] = await Promise.all([request<{ items: T[] }>('GET', o.path), ...(o.refs?.() ?? [])])
      items.value = r.items
    })
  }

  const createOpen = ref(false)
  const save = useRequest()
  // The server's error for field f, shown under it.
  const fe = (f: string) => fieldError(save.error.value, f, locale.value)
  function openCreate(reset: () => void) {
    reset()
    save.error.value = null
    createOpen.value = true
  }
  // Posts; on success closes the dialog, toasts (unless `quiet`) and reloads. The reply, or
  // undefined when it failed (the error is under the fields).
  async function create(body: Body<P>, quiet = false): Promise<Reply<P, 'post'> | undefined> {
    const r = await save.run(() => request<Reply<P, 'post'>>('POST', o.path, body))
    if (r === undefined) return undefined
    createOpen.value = false
    if (!quiet) showOk()
    await load()
    return r
  }

  // Deletes (revokes) a row after the confirmation `ask` with its button `verb`.
  async function remove(row: T, ask: { text: string; verb: string; ok: string }): Promise<boolean> {
    try {
      await ElMessageBox.confirm(ask.text, ask.verb, { type: 'warning', confirmButtonText: ask.verb, cancelButtonText: t('common.cancel') })
    } catch {
      return false
    }
    try {
      await api.del(`${o.path}/${row.id}`)
      showOk(ask.ok)
      await load()
      return true
    } catch (e) {
      showError(e)
      return false
    }
  }

  return { items, loading: list.loading, loadErr: list.error, load, createOpen, saving: save.loading, saveErr: save.error, fe, openCreate, create, remove }
}
