// Peers measured side by side; devDependencies, so they may be missing.

export interface MmapIo {
  map(size: number, protection: number, flags: number, fd: number, offset?: number, advise?: number): Buffer
  PROT_READ: number
  MAP_SHARED: number
  MAP_PRIVATE: number
}

/** The default export of an optional package, or undefined when it is not installed. */
async function optional<T>(name: string): Promise<T | undefined> {
  try {
    return ((await import(name)) as { default: T }).default
  } catch {
    return undefined
  }
}

export async function loadMmapIo(): Promise<MmapIo | undefined> {
  // A CommonJS module compiled from ESM: its exports sit one default deeper.
  const mod = await optional<MmapIo | { default: MmapIo }>('@riaskov/mmap-io')
  return mod !== undefined && 'default' in mod ? mod.default : mod
}

export interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown }
}

export const loadKoffi = () => optional<Koffi>('koffi')

export interface Shm {
  create(count: number, type: 'Int32Array'): (Int32Array & { key: number }) | null
  get(key: number, type: 'Int32Array'): Int32Array | null
  destroy(key: number): boolean
}

export const loadShm = () => optional<Shm>('shm-typed-array')

/**
 * The polling protocol over a shm-typed-array segment (Int32 indices, and bytes
 * after the header): the parent's message, then the peer's reply.
 */
export const SHM_LAYOUT = {
  seq: 0,
  ack: 16,
  length: 32,
  replyLength: 48,
  dataOffset: 256,
  dataBytes: 1 << 20,
  replyOffset: 256 + (1 << 20),
} as const

/** The npm packages of the peers, for the "not installed: npm i …" rows. */
export const PEER_PACKAGES = { mmapIo: '@riaskov/mmap-io', shm: 'shm-typed-array', koffi: 'koffi' } as const
