// A low-code definition's editor (a metric, an alert rule): the name from the route ('new' for a
// new one), the saved version, the definition checked by POST <api>/check as it is typed (only
// the latest answer counts), saving a new version (PUT) or creating (POST), and archiving.
// DefinitionEditor.vue draws the shared title bar; each screen keeps its own form.
import { computed, ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { ElMessageBox } from 'element-plus'
import { api, request, type Reply, type Schema } from '@/api'
import { hasRole } from '@/session'
import { i18n } from '@/i18n'
import { showError, showOk } from '@/components/notify'
import { debounce } from './util'

export type Definition = ReturnType<typeof useDefinition>

type DefApi = '/metrics' | '/alert-rules'
// A saved definition as GET <api>/{name} answers it: a metric's definition, or an alert rule as
// written (the document's StoredAlertRule is open: the rule's fields are AlertRule's) with its version.
export type Saved<A extends DefApi> = A extends '/metrics' ? Reply<'/metrics/{name}'> : Reply<'/alert-rules/{name}'> & Partial<Schema<'AlertRule'>>

export function useDefinition<A extends DefApi>(o: {
  api: A // '/metrics', '/alert-rules'
  list: string // the list screen: '/studio/metrics'
  form: object // the reactive form: any change is checked
  body: () => Record<string, any> // the definition as the API takes it
  reset: () => void // the form of a new definition
  fill: (saved: Saved<A>) => void // the form from a saved definition
  before?: () => Promise<void> // reference data the form needs, loaded first
  after?: () => void // once the form is filled (a preview)
  savedKey?: string // the toast after saving
  archiveKey: string // the confirmation before archiving, with {name}
}) {
  const route = useRoute()
  const router = useRouter()
  const name = computed(() => String(route.params.name))
  const isNew = computed(() => name.value === 'new')
  const canEdit = computed(() => hasRole('admin', 'hq_ops'))
  const saved = ref<Saved<A> | null>(null)
  const loadErr = ref<unknown>(null)
  const checkErr = ref<unknown>(null)
  const checking = ref(false)
  const checkedOk = ref(false)
  const saving = ref(false)
  const saveErr = ref<unknown>(null) // the last save's failure (also in checkErr, for the fields)
  const path = () => `${o.api}/${encodeURIComponent(name.value)}`

  let seq = 0
  async function check() {
    if (!canEdit.value) return
    const mine = ++seq
    checking.value = true
    try {
      await api.post(o.api + '/check', o.body())
      if (mine !== seq) return
      checkErr.value = null
      checkedOk.value = true
    } catch (e) {
      if (mine !== seq) return
      checkErr.value = e
      checkedOk.value = false
    } finally {
      if (mine === seq) checking.value = false
    }
  }
  const checkSoon = debounce(check, 350)
  // `loaded`: changes made by filling the form are not checked.
  let loaded = false
  watch(o.form, () => loaded && checkSoon(), { deep: true })

  async function load() {
    loaded = false
    loadErr.value = null
    checkErr.value = null
    saveErr.value = null
    checkedOk.value = false
    try {
      await o.before?.()
      if (isNew.value) {
        o.reset()
        saved.value = null
      } else {
        saved.value = await request<Saved<A>>('GET', path())
        o.fill(saved.value)
      }
      o.after?.()
    } catch (e) {
      loadErr.value = e
    }
    setTimeout(() => (loaded = true))
  }

  async function save() {
    saving.value = true
    saveErr.value = null
    try {
      const b = o.body()
      const r = isNew.value ? await api.post<{ name?: string }>(o.api, b) : await api.put<{ name?: string }>(path(), b)
      showOk(o.savedKey)
      checkErr.value = null
      if (isNew.value) router.replace(o.list + '/' + (r?.name ?? b.name))
      else load()
    } catch (e) {
      saveErr.value = e
      checkErr.value = e
      showError(e)
    } finally {
      saving.value = false
    }
  }

  async function archive() {
    const t = i18n.global.t
    try {
      await ElMessageBox.confirm(t(o.archiveKey, { name: name.value }), t('studio.archive'), { type: 'warning' })
    } catch {
      return
    }
    try {
      await api.del(path())
      showOk('studio.archived')
      router.push(o.list)
    } catch (e) {
      showError(e)
    }
  }

  watch(name, load, { immediate: true })
  return { name, isNew, canEdit, saved, loadErr, checkErr, checking, checkedOk, saving, saveErr, load, save, archive, isLoaded: () => loaded }
}
