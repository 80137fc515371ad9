// A business document screen's state (quotes, expense claims, contracts): the list for the
// current filters, the "new" dialog, and the drawer of one document with its approval. Each
// screen gives how to list and fetch its documents; DocumentScreen.vue draws the shared parts.
import { ref, type Ref } from 'vue'
import { showOk } from '@/components/notify'
import { useRequest } from '@/composables/useRequest'

export interface Documents<T extends { id: number }> {
  rows: Ref<T[]>
  loading: Ref<boolean>
  error: Ref<unknown>
  load(): Promise<void>
  creating: Ref<boolean>
  saving: Ref<boolean>
  createError: Ref<unknown>
  create(post: () => Promise<T>): Promise<void>
  showing: Ref<boolean>
  cur: Ref<T | null>
  curLoading: Ref<boolean>
  curError: Ref<unknown>
  approvalOpen: Ref<boolean>
  open(row: T): Promise<void>
  refresh(): Promise<void>
  changed(): Promise<void>
}

export function useDocuments<T extends { id: number }>(o: {
  list: () => Promise<T[]> // the rows for the current filters
  get: (cur: T) => Promise<T> // one document, fresh (and whatever the drawer shows beside it)
  onOpen?: (row: T) => void // resets the drawer's own state when a document is opened
}): Documents<T> {
  const rows = ref([]) as Ref<T[]>
  const list = useRequest()
  async function load() {
    await list.run(async () => {
      rows.value = await o.list()
    })
  }

  const creating = ref(false)
  const save = useRequest()
  // Posts the new document; on success closes the dialog, reloads the list and opens it.
  async function create(post: () => Promise<T>) {
    const made = await save.run(post)
    if (!made) return
    creating.value = false
    showOk('common.saved')
    await load()
    await open(made)
  }

  const showing = ref(false)
  const cur = ref(null) as Ref<T | null>
  const one = useRequest()
  const approvalOpen = ref(false)
  async function open(row: T) {
    cur.value = row
    showing.value = true
    o.onOpen?.(row)
    await refresh()
  }
  async function refresh() {
    const c = cur.value
    if (!c) return
    const fresh = await one.run(() => o.get(c))
    if (!fresh) return
    cur.value = fresh
    const i = rows.value.findIndex((x) => x.id === fresh.id)
    if (i >= 0) rows.value[i] = fresh
  }
  // After an action on the open document: it and the list again.
  async function changed() {
    await refresh()
    load()
  }

  return {
    rows, loading: list.loading, error: list.error, load,
    creating, saving: save.loading, createError: save.error, create,
    showing, cur, curLoading: one.loading, curError: one.error, approvalOpen, open, refresh, changed,
  }
}
