// The sending end of a channel: copies a message into the ring (send), or
// lends the caller the ring's next slot to fill in place (loan, publish),
// waiting while the ring is full.
import { invalidArgValue, invalidState } from '../errors.js'
import { integer, timeoutMs as checkTimeout } from '../validate.js'
import { ChannelError } from './channel-error.js'
import {
  messageKind,
  messageSource,
  serialized,
  sourceLength,
  writeMessage,
  type Message,
  type MessageSource,
} from './codec.js'
import { channelErrorOf, End, type ChannelEndOptions, type Role } from './end.js'
import { BYTES, VALUE, maxMessageBytes } from './record.js'
import { CLOSED_BIT, CONSUMER_STATE, type RingMemory } from './ring-layout.js'
import { RingWriter } from './ring.js'
import type { SharedMemory } from './shared-memory.js'
import { ViewCache } from './views.js'
import { NOT_YET, type NotYet } from './waiter.js'

// #loaned when no loan is out, and while loanAsync() waits for one.
const NO_LOAN = -1
const LOAN_PENDING = -2

/**
 * The sending end of a Channel, from Channel.sender(): it writes messages
 * into the ring, waiting while it is full, and close() ends the stream.
 * @example
 * ```js
 * import { Channel } from 'mman'
 *
 * const channel = Channel.create()
 * const tx = channel.sender()
 * const rx = channel.receiver()
 * tx.send('a string')
 * tx.send(new Uint8Array([1, 2, 3]))
 * tx.sendValue({ any: ['value'] })
 * tx.close()
 * for (let message; (message = rx.receiveValue()) !== null; ) console.log(message)
 * ```
 *
 * ```text
 * a string
 * <Buffer 01 02 03>
 * { any: [ 'value' ] }
 * ```
 */
export class ChannelSender extends End {
  readonly #writer: RingWriter
  readonly #bytes: Uint8Array
  readonly #loans: ViewCache
  readonly #text: Buffer
  readonly #maxBytes: number
  #loaned = NO_LOAN // the loaned slot's length

  /** @internal Use Channel.sender(). */
  constructor(memory: SharedMemory, ring: RingMemory, role: Role, options: ChannelEndOptions = {}) {
    super(memory, ring, role, options)
    this.#writer = new RingWriter(ring)
    this.#bytes = ring.bytes
    this.#loans = new ViewCache(ring.bytes)
    this.#text = ring.text
    this.#maxBytes = maxMessageBytes(ring.capacity)
  }

  /**
   * Sends one message (bytes, or a string as UTF-8 written straight into the
   * ring), waiting while the ring is full (backpressure). Throws ChannelError
   * if the receiver closed or died, or the timeout passes first.
   * @param message The bytes or string to send: at most Channel.maxMessageBytes
   *   (else ERR_INVALID_ARG_VALUE). The bytes are copied into the ring.
   * @param timeoutMs How long to wait for room at most, in milliseconds
   *   (undefined: the timeoutMs given to Channel.sender(), or no limit; Infinity: no
   *   limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `message` is not a string, TypedArray, DataView or Buffer; `timeoutMs` is
   *   not a number.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `message` is larger than Channel.maxMessageBytes; `timeoutMs` is negative
   *   or NaN.
   * - `Error` `ERR_INVALID_STATE`: a slot from loan() is out (not yet published or cancelled).
   * - {@link ChannelError} `ERR_CHANNEL_CLOSED`: this sender or the channel's memory was closed, or the receiver
   *   closed its end (also while the call waited).
   * - {@link ChannelError} `ERR_CHANNEL_PEER_DIED`: the receiver's thread died without closing, or the
   *   `options.peer` given to Channel.sender() exited before taking the receiving end.
   * - {@link ChannelError} `ERR_CHANNEL_TIMEOUT`: the ring had no room before the timeout.
   * - {@link ChannelError} `ERR_CHANNEL_CORRUPT`: the receiver's position in the ring was written by something else.
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * const rx = channel.receiver()
   * tx.send('héllo') // as UTF-8
   * tx.send(new Float64Array([0.5])) // the bytes it views
   * console.log(rx.receiveString(), rx.receive())
   * ```
   *
   * ```text
   * héllo <Buffer 00 00 00 00 00 00 e0 3f>
   * ```
   */
  send(message: Message, timeoutMs?: number): void {
    const kind = messageKind(message)
    const source = messageSource(message, kind)
    this.#send(source, kind, this.#sendable(sourceLength(source), timeoutMs), timeoutMs)
  }

  /**
   * send() waiting off the event loop (the promise rejects where send() throws).
   * @param message The bytes or string to send, as for send().
   * @param timeoutMs How long to wait for room at most, in milliseconds
   *   (undefined: the timeoutMs given to Channel.sender(), or no limit; Infinity: no
   *   limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   * @throws The promise rejects with:
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `message` is not a string, TypedArray, DataView or Buffer; `timeoutMs` is
   *   not a number.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `message` is larger than Channel.maxMessageBytes; `timeoutMs` is negative
   *   or NaN.
   * - `Error` `ERR_INVALID_STATE`: a slot from loan() is out (not yet published or cancelled).
   * - {@link ChannelError} `ERR_CHANNEL_CLOSED`: this sender or the channel's memory was closed, or the receiver
   *   closed its end (also while the call waited).
   * - {@link ChannelError} `ERR_CHANNEL_PEER_DIED`: the receiver's thread died without closing, or the
   *   `options.peer` given to Channel.sender() exited before taking the receiving end.
   * - {@link ChannelError} `ERR_CHANNEL_TIMEOUT`: the ring had no room before the timeout.
   * - {@link ChannelError} `ERR_CHANNEL_CORRUPT`: the receiver's position in the ring was written by something else.
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create(4096)
   * const tx = channel.sender()
   * const rx = channel.receiver()
   * const half = new Uint8Array(channel.maxMessageBytes)
   * tx.send(half)
   * tx.send(half) // the ring is full now
   * const sent = tx.sendAsync('waits for room')
   * console.log(rx.receive().length) // makes room
   * await sent
   * console.log(rx.receive().length, rx.receiveString())
   * ```
   *
   * ```text
   * 2040
   * 2040 waits for room
   * ```
   */
  async sendAsync(message: Message, timeoutMs?: number): Promise<void> {
    const kind = messageKind(message)
    const source = messageSource(message, kind)
    await this.#sendAsync(source, kind, this.#sendable(sourceLength(source), timeoutMs), timeoutMs)
  }

  /**
   * Sends any value the v8 serializer takes (as process.send's advanced
   * serialization does); receiveValue() returns it.
   * @param value What to send: objects, arrays, Maps, Sets, Dates, typed
   *   arrays, ... (structured clone). What the serializer refuses (functions,
   *   SharedArrayBuffers, ...) throws ERR_INVALID_ARG_VALUE, as does a value
   *   whose serialized bytes exceed Channel.maxMessageBytes.
   * @param timeoutMs How long to wait for room at most, in milliseconds
   *   (undefined: the timeoutMs given to Channel.sender(), or no limit; Infinity: no
   *   limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `timeoutMs` is not a number.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: the serializer refuses `value` (a function, a SharedArrayBuffer, ...), or
   *   its bytes are more than Channel.maxMessageBytes; `timeoutMs` is negative or NaN.
   * - `Error` `ERR_INVALID_STATE`: a slot from loan() is out (not yet published or cancelled).
   * - {@link ChannelError} `ERR_CHANNEL_CLOSED`: this sender or the channel's memory was closed, or the receiver
   *   closed its end (also while the call waited).
   * - {@link ChannelError} `ERR_CHANNEL_PEER_DIED`: the receiver's thread died without closing, or the
   *   `options.peer` given to Channel.sender() exited before taking the receiving end.
   * - {@link ChannelError} `ERR_CHANNEL_TIMEOUT`: the ring had no room before the timeout.
   * - {@link ChannelError} `ERR_CHANNEL_CORRUPT`: the receiver's position in the ring was written by something else.
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * const rx = channel.receiver()
   * tx.sendValue({ id: 7, tags: new Set(['a']), at: new Date(0) })
   * console.log(rx.receiveValue())
   * try {
   *   tx.sendValue(() => {})
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * { id: 7, tags: Set(1) { 'a' }, at: 1970-01-01T00:00:00.000Z }
   * ERR_INVALID_ARG_VALUE
   * ```
   */
  sendValue(value: unknown, timeoutMs?: number): void {
    const bytes = serialized(value)
    this.#send(bytes, VALUE, this.#sendable(bytes.length, timeoutMs, 'value'), timeoutMs)
  }

  /**
   * sendValue() waiting off the event loop (the promise rejects where sendValue() throws).
   * @param value What to send, as for sendValue().
   * @param timeoutMs How long to wait for room at most, in milliseconds
   *   (undefined: the timeoutMs given to Channel.sender(), or no limit; Infinity: no
   *   limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   * @throws The promise rejects with:
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `timeoutMs` is not a number.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: the serializer refuses `value` (a function, a SharedArrayBuffer, ...), or
   *   its bytes are more than Channel.maxMessageBytes; `timeoutMs` is negative or NaN.
   * - `Error` `ERR_INVALID_STATE`: a slot from loan() is out (not yet published or cancelled).
   * - {@link ChannelError} `ERR_CHANNEL_CLOSED`: this sender or the channel's memory was closed, or the receiver
   *   closed its end (also while the call waited).
   * - {@link ChannelError} `ERR_CHANNEL_PEER_DIED`: the receiver's thread died without closing, or the
   *   `options.peer` given to Channel.sender() exited before taking the receiving end.
   * - {@link ChannelError} `ERR_CHANNEL_TIMEOUT`: the ring had no room before the timeout.
   * - {@link ChannelError} `ERR_CHANNEL_CORRUPT`: the receiver's position in the ring was written by something else.
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * const rx = channel.receiver()
   * await tx.sendValueAsync(new Map([[1, 'one']]))
   * console.log(rx.receiveValue())
   * ```
   *
   * ```text
   * Map(1) { 1 => 'one' }
   * ```
   */
  async sendValueAsync(value: unknown, timeoutMs?: number): Promise<void> {
    const bytes = serialized(value)
    await this.#sendAsync(bytes, VALUE, this.#sendable(bytes.length, timeoutMs, 'value'), timeoutMs)
  }

  /**
   * Lends the caller the ring's next slot, to write a message of at most
   * `length` bytes in place (zero-copy); publish() sends it. Waits while the
   * ring is full, as send() does. Until publish() or cancelLoan(), nothing
   * else can be sent or loaned (ERR_INVALID_STATE). The view is the ring
   * itself: once published, writing through it changes what the receiver may
   * read (that message, or later ones); drop it at publish(). Views are kept
   * per place in the ring: a later loan of the same length at the same place
   * is the same view object.
   * @param length The slot's size in bytes: an integer from 0 to
   *   Channel.maxMessageBytes (else ERR_OUT_OF_RANGE).
   * @param timeoutMs How long to wait for room at most, in milliseconds
   *   (undefined: the timeoutMs given to Channel.sender(), or no limit; Infinity: no
   *   limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   * @returns A view of exactly `length` bytes of the ring (their content is
   *   whatever the ring held: write every byte you publish).
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `length` is not a number or bigint; `timeoutMs` is not a number.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `length` is fractional, negative or above Channel.maxMessageBytes.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `timeoutMs` is negative or NaN.
   * - `Error` `ERR_INVALID_STATE`: a slot from loan() is out (not yet published or cancelled).
   * - {@link ChannelError} `ERR_CHANNEL_CLOSED`: this sender or the channel's memory was closed, or the receiver
   *   closed its end (also while the call waited).
   * - {@link ChannelError} `ERR_CHANNEL_PEER_DIED`: the receiver's thread died without closing, or the
   *   `options.peer` given to Channel.sender() exited before taking the receiving end.
   * - {@link ChannelError} `ERR_CHANNEL_TIMEOUT`: the ring had no room before the timeout.
   * - {@link ChannelError} `ERR_CHANNEL_CORRUPT`: the receiver's position in the ring was written by something else.
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * const rx = channel.receiver()
   * const slot = tx.loan(64) // the ring's next 64 bytes
   * const { written } = new TextEncoder().encodeInto('written in place', slot)
   * tx.publish(written) // sends the first `written` of them
   * console.log(rx.receiveString())
   * ```
   *
   * ```text
   * written in place
   * ```
   */
  loan(length: number, timeoutMs?: number): Uint8Array {
    const bytes = this.#loanable(length, timeoutMs)
    const at = this.#reserve(bytes)
    if (at >= 0) return this.#lend(at, bytes)
    return this.run(() => this.#tryLoan(bytes), this.#room(bytes), timeoutMs)
  }

  /**
   * loan() waiting off the event loop (the promise rejects where loan() throws).
   * @param length The slot's size in bytes, as for loan().
   * @param timeoutMs How long to wait for room at most, as for loan().
   * @throws The promise rejects with:
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `length` is not a number or bigint; `timeoutMs` is not a number.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `length` is fractional, negative or above Channel.maxMessageBytes.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `timeoutMs` is negative or NaN.
   * - `Error` `ERR_INVALID_STATE`: a slot from loan() is out (not yet published or cancelled).
   * - {@link ChannelError} `ERR_CHANNEL_CLOSED`: this sender or the channel's memory was closed, or the receiver
   *   closed its end (also while the call waited).
   * - {@link ChannelError} `ERR_CHANNEL_PEER_DIED`: the receiver's thread died without closing, or the
   *   `options.peer` given to Channel.sender() exited before taking the receiving end.
   * - {@link ChannelError} `ERR_CHANNEL_TIMEOUT`: the ring had no room before the timeout.
   * - {@link ChannelError} `ERR_CHANNEL_CORRUPT`: the receiver's position in the ring was written by something else.
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * const rx = channel.receiver()
   * const slot = await tx.loanAsync(4)
   * slot.set([1, 2, 3, 4])
   * tx.publish()
   * console.log(rx.receive())
   * ```
   *
   * ```text
   * <Buffer 01 02 03 04>
   * ```
   */
  async loanAsync(length: number, timeoutMs?: number): Promise<Uint8Array> {
    const bytes = this.#loanable(length, timeoutMs)
    const at = this.#reserve(bytes)
    if (at >= 0) return this.#lend(at, bytes)
    this.#loaned = LOAN_PENDING
    try {
      return await this.runAsync(() => this.#tryLoan(bytes), this.#room(bytes), timeoutMs)
    } finally {
      if (this.#loaned === LOAN_PENDING) this.#loaned = NO_LOAN
    }
  }

  /**
   * Sends the slot loan() lent: its first `length` bytes, as bytes. Throws
   * ERR_INVALID_STATE without a loan, and ChannelError ERR_CHANNEL_CLOSED if
   * the receiver or the memory was closed meanwhile.
   * @param length How many of the loaned bytes to send: an integer from 0 to
   *   the loan's length (the default; else ERR_OUT_OF_RANGE).
   * @throws
   * - `Error` `ERR_INVALID_STATE`: no slot from loan() is out.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `length` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `length` is fractional, negative or above the loan's length.
   * - {@link ChannelError} `ERR_CHANNEL_CLOSED`: this sender or the channel's memory was closed, or the receiver
   *   closed its end, while the slot was out (the slot is dropped).
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * const rx = channel.receiver()
   * const slot = tx.loan(8)
   * slot.set([9, 8, 7])
   * tx.publish(3) // only the first 3 bytes
   * console.log(rx.receive())
   * try {
   *   tx.publish()
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * <Buffer 09 08 07>
   * ERR_INVALID_STATE
   * ```
   */
  publish(length?: number): void {
    const loaned = this.#loaned
    if (loaned < 0) throw invalidState('publish() needs a slot from loan() first')
    const bytes = length === undefined ? loaned : integer(length, 'length', 0, loaned)
    this.#loaned = NO_LOAN
    this.usable('sender')
    this.#publish(BYTES, bytes)
  }

  /**
   * Gives back the slot loan() lent without sending anything (nothing happens without one).
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * const rx = channel.receiver()
   * tx.loan(16).fill(1)
   * tx.cancelLoan() // nothing is sent, and sending is possible again
   * tx.send('next')
   * tx.close()
   * console.log(rx.receiveString(), rx.receive()) // then the end of the stream
   * ```
   *
   * ```text
   * next null
   * ```
   */
  cancelLoan(): void {
    if (this.#loaned < 0) return
    this.#loaned = NO_LOAN
    this.#writer.cancel()
  }

  /**
   * Ends the stream: the receiver gets the messages already sent, then null. A loan not published is dropped.
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * const rx = channel.receiver()
   * tx.send('last')
   * tx.close()
   * console.log(rx.receiveString(), rx.receiveString())
   * try {
   *   tx.send('after close')
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * last null
   * ERR_CHANNEL_CLOSED
   * ```
   */
  close(): void {
    this.cancelLoan()
    this.markClosed()
  }

  /** Writes a message into the ring, waiting for room when there is none. */
  #send(message: MessageSource, kind: number, length: number, timeoutMs: number | undefined): void {
    if (!this.#write(message, kind, length))
      this.run(() => this.#writeAgain(message, kind, length), this.#room(length), timeoutMs)
  }

  /** #send() waiting off the event loop; nothing to wait for (undefined) when there was room. */
  #sendAsync(
    message: MessageSource,
    kind: number,
    length: number,
    timeoutMs: number | undefined,
  ): Promise<boolean> | undefined {
    if (this.#write(message, kind, length)) return undefined
    return this.runAsync(() => this.#writeAgain(message, kind, length), this.#room(length), timeoutMs)
  }

  /** The length of a message to send, checked with the call's timeout: sending is possible now. */
  #sendable(length: number, timeoutMs: number | undefined, name = 'message'): number {
    if (timeoutMs !== undefined) checkTimeout(timeoutMs)
    this.usable('sender')
    this.#noLoanOut()
    if (length > this.#maxBytes)
      throw invalidArgValue(name, `${length} bytes`, `is larger than this channel carries (${this.#maxBytes} bytes)`)
    return length
  }

  #loanable(length: unknown, timeoutMs: number | undefined): number {
    const bytes = integer(length, 'length', 0, this.#maxBytes)
    if (timeoutMs !== undefined) checkTimeout(timeoutMs)
    this.usable('sender')
    this.#noLoanOut()
    return bytes
  }

  #tryLoan(length: number): Uint8Array | NotYet {
    this.usable('sender')
    const at = this.#reserve(length)
    return at >= 0 ? this.#lend(at, length) : NOT_YET
  }

  #lend(at: number, length: number): Uint8Array {
    this.#loaned = length
    return this.#loans.view(at, length)
  }

  /** Where a record of `length` bytes can go now, or -1; throws if the receiver closed. */
  #reserve(length: number): number {
    let at: number
    try {
      at = this.#writer.reserve(length)
    } catch (error) {
      throw channelErrorOf(error)
    }
    if (at < 0 && this.peerClosed) throw new ChannelError('ERR_CHANNEL_CLOSED', 'the receiver closed the channel')
    return at
  }

  #noLoanOut(): void {
    if (this.#loaned !== NO_LOAN)
      throw invalidState('a slot from loan() is out: publish() or cancelLoan() it before sending or loaning again')
  }

  /** Writes a message #sendable() checked, if there is room for it now. */
  #write(message: MessageSource, kind: number, length: number): boolean {
    const at = this.#reserve(length)
    if (at < 0) return false
    writeMessage(this.#bytes, this.#text, at, message, length)
    this.#publish(kind, length)
    return true
  }

  /** #write() after a wait, which can have changed what #sendable() checked. */
  #writeAgain(message: MessageSource, kind: number, length: number): true | NotYet {
    this.usable('sender')
    this.#noLoanOut()
    return this.#write(message, kind, length) || NOT_YET
  }

  /** Publishes the reserved record, then wakes the receiver if it sleeps, or says that it closed. */
  #publish(kind: number, length: number): void {
    const writer = this.#writer
    writer.publish(kind, length)
    const state = Atomics.load(this.ctl, CONSUMER_STATE)
    writer.publishHead()
    if (state === 0) return
    if ((state & CLOSED_BIT) !== 0) throw new ChannelError('ERR_CHANNEL_CLOSED', 'the receiver closed the channel')
    this.wakePeer(state)
  }

  /** A wait for room for a record of `length` bytes. */
  #room(length: number) {
    return this.target(() => this.#writer.reserve(length) >= 0)
  }
}
