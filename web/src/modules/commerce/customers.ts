// Customer names by id, fetched on demand for the rows a screen shows.
import { reactive } from 'vue'
import { api } from '@/api'

export const customers = reactive<Record<number, string>>({})
const asked = new Set<number>()

export async function loadCustomers(ids: (number | null | undefined)[]) {
  const todo = [...new Set(ids.filter((x): x is number => !!x && !asked.has(x)))]
  todo.forEach((id) => asked.add(id))
  await Promise.all(
    todo.map((id) =>
      api.get<{ name: string }>('/customers/' + id).then(
        (c) => (customers[id] = c.name),
        () => (customers[id] = '#' + id),
      ),
    ),
  )
}

export function customerName(id: number | null | undefined): string {
  if (!id) return '—'
  return customers[id] ?? '#' + id
}
