import { MemoryBus, MemoryHub } from '../../../packages/engine/src/bus/memory_bus.ts'
import { MemoryState } from '../../../packages/engine/src/state/memory_state.ts'
import { MemoryStore } from '../../../packages/engine/src/state/memory_store.ts'
import { busContract } from '../../helpers/bus_contract.ts'
import { channelStateContract } from '../../helpers/channel_state_contract.ts'

/**
 * The in-memory cluster meets the same contracts as Redis
 */
channelStateContract('MemoryState', async (nodes) => {
  const store = new MemoryStore()
  return {
    states: Array.from({ length: nodes }, (_, index) => new MemoryState(`node${index}`, store)),
    cleanup: async () => {},
  }
})

busContract('MemoryBus', async (nodes, routing) => {
  const hub = new MemoryHub()
  const buses = Array.from(
    { length: nodes },
    (_, index) => new MemoryBus(`node${index}`, hub, routing)
  )
  return { buses, cleanup: async () => void (await Promise.all(buses.map((bus) => bus.close()))) }
})
