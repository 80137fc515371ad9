// A business document screen's state (quotes, expense claims, contracts): the list for the
// current filters, the "new" dialog, and the drawer of one document with its approval. Each
// screen gives how to list and fetch its documents; DocumentScreen.vue draws the shared parts.
// Lists answer a document's summary (S: Schema<'QuoteSummary'>, without its lines), a single
// document the full shape (F: Schema<'Quote'>); the open document is the clicked row until its
// full shape arrives, so `cur` is either.
import { ref, type Ref } from 'vue'
import { showOk } from '@/components/notify'
import { useRequest } from '@/composables/useRequest'
import type { Reply } from '@/api'
import { pick } from '@/i18n'

export interface Documents<S extends { id: number }, F extends S = S> {
  rows: Ref<S[]>
  loading: Ref<boolean>
  error: Ref<unknown>
  load(): Promise<void>
  creating: Ref<boolean>
  saving: Ref<boolean>
  createError: Ref<unknown>
  create(post: () => Promise<F>): Promise<void>
  showing: Ref<boolean>
  cur: Ref<S | F | null>
  curLoading: Ref<boolean>
  curError: Ref<unknown>
  approvalOpen: Ref<boolean>
  open(row: S): Promise<void>
  refresh(): Promise<void>
  changed(): Promise<void>
}

export function useDocuments<S extends { id: number }, F extends S = S>(o: {
  list: () => Promise<S[]> // the rows for the current filters
  get: (cur: S) => Promise<F> // one document, fresh (and whatever the drawer shows beside it)
  onOpen?: (row: S) => void // resets the drawer's own state when a document is opened
}): Documents<S, F> {
  const rows = ref([]) as Ref<S[]>
  const list = useRequest()
  async function load() {
    await list.run(async () => {
      rows.value = await o.list()
    })
  }

  const creating = ref(false)
  const save = useRequest()
  // Posts the new document; on success closes the dialog, reloads the list and opens it.
  async function create(post: () => Promise<F>) {
    const made = await save.run(post)
    if (!made) return
    creating.value = false
    showOk('common.saved')
    await load()
    await open(made)
  }

  const showing = ref(false)
  const cur = ref(null) as Ref<S | F | null>
  const one = useRequest()
  const approvalOpen = ref(false)
  async function open(row: S) {
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

// What the compliance checkpoints said on a submission or signature: flags (a checkpoint's name
// and message) and overrides (a blocking checkpoint overridden: its name, reason, by, at).
export type Compliance = NonNullable<Reply<'/quotes/{id}/submit', 'post'>['compliance']>
type Flag = NonNullable<Compliance['flags']>[number]

// A flag's message in the reader's language, else the checkpoint's name.
export function flagText(f: Flag): string {
  const s = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : '')
  return pick(s('message_zh'), s('message_en') || s('message')) || s('name')
}
