// Whether the window is phone-narrow (under 768 px), following resizes while the screen lives.
import { computed, onBeforeUnmount, onMounted, ref } from 'vue'

export function useNarrow(limit = 768) {
  const width = ref(window.innerWidth)
  const onResize = () => (width.value = window.innerWidth)
  onMounted(() => window.addEventListener('resize', onResize))
  onBeforeUnmount(() => window.removeEventListener('resize', onResize))
  return computed(() => width.value < limit)
}
