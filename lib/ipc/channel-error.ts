// The errors a channel's ends throw, coded so that callers can tell them apart.

/**
 * Why a channel end threw: ERR_CHANNEL_CLOSED (this end or the channel's
 * shared memory was closed, also while a call waited, or the receiver closed
 * its end under a sender; a receiver whose sender closed gets null instead),
 * ERR_CHANNEL_PEER_DIED (the peer's thread died without closing, or its
 * process exited before taking its end), ERR_CHANNEL_TIMEOUT (the timeout
 * passed first), ERR_CHANNEL_CORRUPT (the ring holds words no mman channel
 * writes) or ERR_CHANNEL_WRONG_KIND (the next message is a value, which only
 * receiveValue() takes: it stays in the channel).
 */
export type ChannelErrorCode =
  | 'ERR_CHANNEL_CLOSED'
  | 'ERR_CHANNEL_PEER_DIED'
  | 'ERR_CHANNEL_TIMEOUT'
  | 'ERR_CHANNEL_CORRUPT'
  | 'ERR_CHANNEL_WRONG_KIND'

/**
 * What a channel end throws: the peer (or this end, or the shared memory) was
 * closed, the peer died, the timeout passed, the ring holds words that no
 * mman channel writes (another process scribbled on it), or the next message
 * is of a kind the call does not take. Its `code` says which (ChannelErrorCode).
 * @example
 * ```js
 * import { Channel, ChannelError } from 'mman'
 *
 * const channel = Channel.create()
 * const tx = channel.sender()
 * const rx = channel.receiver()
 * const failure = (call) => {
 *   try {
 *     call()
 *   } catch (error) {
 *     return [error instanceof ChannelError, error.code]
 *   }
 * }
 * console.log(...failure(() => rx.receive(10))) // nothing was sent within 10 ms
 * rx.close()
 * console.log(...failure(() => tx.send('too late')))
 * ```
 *
 * ```text
 * true ERR_CHANNEL_TIMEOUT
 * true ERR_CHANNEL_CLOSED
 * ```
 */
export class ChannelError extends Error {
  /**
   * The channel's ends throw these; the class is exported for `instanceof`.
   * @param code Why: see ChannelErrorCode.
   * @param message What happened, for people.
   */
  constructor(
    /** Why: see ChannelErrorCode. */
    readonly code: ChannelErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'ChannelError'
  }
}
