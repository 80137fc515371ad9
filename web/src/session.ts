// Who is logged in: the bearer token and the user, kept in sessionStorage (per browser tab,
// never a cookie) so a reload keeps the session and closing the tab ends it.
import { reactive } from 'vue'
import type { Reply } from './api'

// GET /auth/me as the OpenAPI document describes it: the user, the tenant and the caller's scope.
export type Me = Reply<'/auth/me'>
export type User = Me['user']

const KEY = 'keel.session'

export const session = reactive<{ token: string; tenantCode: string; me: Me | null }>({
  token: '',
  tenantCode: '',
  me: null,
})

try {
  const saved = JSON.parse(sessionStorage.getItem(KEY) || 'null')
  if (saved?.token) Object.assign(session, saved)
} catch {
  /* a damaged entry is simply ignored */
}

export function saveSession() {
  sessionStorage.setItem(KEY, JSON.stringify({ token: session.token, tenantCode: session.tenantCode, me: session.me }))
}

export function clearSession() {
  session.token = ''
  session.me = null
  sessionStorage.removeItem(KEY)
}

export function role(): string {
  return session.me?.user?.role ?? ''
}

// Roles, from most to least powerful, as the API defines them.
export function hasRole(...roles: string[]): boolean {
  return roles.includes(role())
}
