// The Uint8Array views one end hands out over its ring (loan(), receiveView()),
// kept per place in the ring: making a Uint8Array is one of the larger costs
// on a small message's path, and a busy channel comes back to the same places
// lap after lap (a ring of small messages wraps early, ring.ts). A view
// covers exactly the bytes a fresh one would; the only difference a caller
// can see is that a view handed out for an earlier message at the same place
// and length is the same object (the docs of loan() and receiveView() say so).
// The cache is direct-mapped and bounded: a miss makes a view, as before.

/** How many views one end keeps: enough for a lap of 64-byte messages before the early wrap. */
export const VIEW_SLOTS = 1024

const NO_VIEW = new Uint8Array(0)

export class ViewCache {
  readonly #buffer: ArrayBufferLike
  readonly #base: number
  readonly #views: Uint8Array[] = new Array<Uint8Array>(VIEW_SLOTS).fill(NO_VIEW)
  // Each slot's view's offset in the data area (-1: none yet) and length,
  // kept here: a view's own byteOffset is a slow getter a caller could shadow.
  readonly #offsets = new Int32Array(VIEW_SLOTS).fill(-1)
  readonly #lengths = new Int32Array(VIEW_SLOTS)

  /** Views of `bytes`' buffer, at offsets counted from `bytes`' start. */
  constructor(bytes: Uint8Array) {
    // Read once: a view's .buffer is a slow getter.
    this.#buffer = bytes.buffer
    this.#base = bytes.byteOffset
  }

  /** A view of `length` bytes at `at` of the data area (records start at multiples of 8). */
  view(at: number, length: number): Uint8Array {
    const slot = (at >> 3) & (VIEW_SLOTS - 1)
    if (this.#offsets[slot] === at && this.#lengths[slot] === length) return this.#views[slot]!
    // Not subarray(): a view made directly costs a third less on Node 20.
    const view = new Uint8Array(this.#buffer, this.#base + at, length)
    this.#views[slot] = view
    this.#offsets[slot] = at
    this.#lengths[slot] = length
    return view
  }
}
