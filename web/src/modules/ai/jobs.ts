// Background jobs (training): poll GET /ai/jobs/{id} until done or failed.
import { ref } from 'vue'
import { api, ApiError } from '@/api'
import { session } from '@/session'

export function useJob(onDone: (job: any) => void) {
  const job = ref<any>(null)
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = false
  async function poll(id: number) {
    try {
      job.value = await api.get(`/ai/jobs/${id}`)
    } catch (e) {
      job.value = { id, status: 'failed', error: e instanceof ApiError ? e : String(e) }
      return
    }
    if (stopped) return
    if (job.value.status === 'done' || job.value.status === 'failed') onDone(job.value)
    else timer = setTimeout(() => poll(id), 1000)
  }
  function follow(j: any) {
    job.value = j
    if (timer) clearTimeout(timer)
    poll(j.id)
  }
  function stop() {
    stopped = true
    if (timer) clearTimeout(timer)
  }
  return { job, follow, stop }
}

// Uploads a CSV as text/csv (the shared client sends strings as text/plain, which this route refuses).
export async function uploadCsv(name: string, text: string | Blob): Promise<any> {
  const res = await fetch('/api/v1/ai/datasets?name=' + encodeURIComponent(name), {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + session.token, 'Content-Type': 'text/csv' },
    body: text,
  })
  const data = await res.json().catch(() => null)
  if (!res.ok) throw new ApiError(res.status, data?.error ?? { code: 'http.' + res.status, message: 'upload failed', message_zh: '上传失败' })
  return data
}

// POSTs a body and saves the answer as a file (a scored CSV/XLSX), with the bearer token.
export async function postForFile(path: string, body: string | Blob, contentType: string, filename: string): Promise<void> {
  const res = await fetch('/api/v1' + path, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + session.token, 'Content-Type': contentType },
    body,
  })
  if (!res.ok) {
    const data = await res.json().catch(() => null)
    throw new ApiError(res.status, data?.error ?? { code: 'http.' + res.status, message: 'request failed', message_zh: '请求失败' })
  }
  const blob = await res.blob()
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = filename
  a.click()
  URL.revokeObjectURL(a.href)
}
