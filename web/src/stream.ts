// The server's event stream (GET /api/v1/stream, text/event-stream) read with fetch, so the
// bearer token travels in a header rather than the URL. Reconnects with Last-Event-ID after a
// drop, with backoff; `state` says whether the page is live.
import { ref, type Ref } from 'vue'
import { session } from './session'
import { queryString, type Query } from './api'

export interface StreamEvent {
  id: string
  event: string
  data: any
}

export interface LiveStream {
  state: Ref<'connecting' | 'live' | 'reconnecting' | 'closed'>
  close(): void
}

export function openStream(query: Query, onEvent: (e: StreamEvent) => void): LiveStream {
  const state = ref<'connecting' | 'live' | 'reconnecting' | 'closed'>('connecting')
  let lastId = ''
  let stopped = false
  let controller: AbortController | null = null
  let delay = 500

  async function run() {
    while (!stopped) {
      controller = new AbortController()
      try {
        const headers: Record<string, string> = { Authorization: 'Bearer ' + session.token, Accept: 'text/event-stream' }
        if (lastId) headers['Last-Event-ID'] = lastId
        const res = await fetch('/api/v1/stream' + queryString(query), { headers, signal: controller.signal })
        if (res.status === 401 || res.status === 403 || res.status === 400 || res.status === 422) {
          state.value = 'closed'
          return
        }
        if (!res.ok || !res.body) throw new Error('stream ' + res.status)
        state.value = 'live'
        delay = 500
        const reader = res.body.getReader()
        const decoder = new TextDecoder()
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buf += decoder.decode(value, { stream: true })
          let end: number
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, end)
            buf = buf.slice(end + 2)
            const ev: StreamEvent = { id: '', event: 'message', data: '' }
            const data: string[] = []
            for (const line of frame.split('\n')) {
              if (line.startsWith(':')) continue
              const colon = line.indexOf(':')
              const k = colon < 0 ? line : line.slice(0, colon)
              const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
              if (k === 'id') ev.id = v
              else if (k === 'event') ev.event = v
              else if (k === 'data') data.push(v)
            }
            if (!data.length) continue
            if (ev.id) lastId = ev.id
            try {
              ev.data = JSON.parse(data.join('\n'))
            } catch {
              ev.data = data.join('\n')
            }
            onEvent(ev)
          }
        }
      } catch (e) {
        if (stopped) break
      }
      if (stopped) break
      state.value = 'reconnecting'
      await new Promise((r) => setTimeout(r, delay))
      delay = Math.min(delay * 2, 10000)
    }
    state.value = 'closed'
  }
  run()
  return {
    state,
    close() {
      stopped = true
      controller?.abort()
      state.value = 'closed'
    },
  }
}
