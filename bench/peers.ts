// Peers measured side by side; devDependencies, so they may be missing.

export interface MmapIo {
  map(size: number, protection: number, flags: number, fd: number, offset?: number, advise?: number): Buffer
  PROT_READ: number
  MAP_SHARED: number
  MAP_PRIVATE: number
}

export async function loadMmapIo(): Promise<MmapIo | undefined> {
  try {
    const mod = (await import('@riaskov/mmap-io' as string)) as { default: MmapIo | { default: MmapIo } }
    return 'default' in mod.default ? mod.default.default : mod.default
  } catch {
    return undefined
  }
}

export interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown }
}

export async function loadKoffi(): Promise<Koffi | undefined> {
  try {
    const mod = (await import('koffi' as string)) as { default: Koffi }
    return mod.default
  } catch {
    return undefined
  }
}

export interface Shm {
  create(count: number, type: 'Int32Array'): (Int32Array & { key: number }) | null
  get(key: number, type: 'Int32Array'): Int32Array | null
  destroy(key: number): boolean
}

export async function loadShm(): Promise<Shm | undefined> {
  try {
    const mod = (await import('shm-typed-array' as string)) as { default: Shm }
    return mod.default
  } catch {
    return undefined
  }
}

/** The polling protocol over a shm-typed-array segment (Int32 indices, and bytes after the header). */
export const SHM_LAYOUT = { seq: 0, ack: 16, length: 32, dataOffset: 256, dataBytes: 1 << 20 } as const
