// The sending end of a channel: copies a message into the ring (send), or
// lends the caller the ring's next slot to fill in place (loan, publish),
// waiting while the ring is full.
import { invalidArgValue, invalidState } from '../errors.js'
import { integer, timeoutMs as checkTimeout } from '../validate.js'
import { ChannelError } from './channel-error.js'
import { messageKind, messageSource, serialized, sourceLength, writeMessage, type Message, type MessageSource } from './codec.js'
import { channelErrorOf, End, type ChannelEndOptions, type Role } from './end.js'
import { BYTES, VALUE, maxMessageBytes } from './record.js'
import { CLOSED_BIT, CONSUMER_STATE, type RingMemory } from './ring-layout.js'
import { RingWriter } from './ring.js'
import type { SharedMemory } from './shared-memory.js'
import { NOT_YET, type NotYet } from './waiter.js'

// #loaned when no loan is out, and while loanAsync() waits for one.
const NO_LOAN = -1
const LOAN_PENDING = -2

/**
 * The sending end of a Channel, from Channel.sender(): it writes messages
 * into the ring, waiting while it is full, and close() ends the stream.
 */
export class ChannelSender extends End {
  readonly #writer: RingWriter
  readonly #bytes: Uint8Array
  // The data area's buffer and offset, read once: a view's .buffer is a slow getter.
  readonly #buffer: ArrayBufferLike
  readonly #base: number
  readonly #text: Buffer
  readonly #maxBytes: number
  #loaned = NO_LOAN // the loaned slot's length

  /** @internal Use Channel.sender(). */
  constructor(memory: SharedMemory, ring: RingMemory, role: Role, options: ChannelEndOptions = {}) {
    super(memory, ring, role, options)
    this.#writer = new RingWriter(ring)
    this.#bytes = ring.bytes
    this.#buffer = ring.bytes.buffer
    this.#base = ring.bytes.byteOffset
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
   * read (that message, or later ones); drop it at publish().
   * @param length The slot's size in bytes: an integer from 0 to
   *   Channel.maxMessageBytes (else ERR_OUT_OF_RANGE).
   * @param timeoutMs How long to wait for room at most, in milliseconds
   *   (undefined: the timeoutMs given to Channel.sender(), or no limit; Infinity: no
   *   limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   * @returns A view of exactly `length` bytes of the ring (their content is
   *   whatever the ring held: write every byte you publish).
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
   */
  publish(length?: number): void {
    const loaned = this.#loaned
    if (loaned < 0) throw invalidState('publish() needs a slot from loan() first')
    const bytes = length === undefined ? loaned : integer(length, 'length', 0, loaned)
    this.#loaned = NO_LOAN
    this.usable('sender')
    this.#publish(BYTES, bytes)
  }

  /** Gives back the slot loan() lent without sending anything (nothing happens without one). */
  cancelLoan(): void {
    if (this.#loaned < 0) return
    this.#loaned = NO_LOAN
    this.#writer.cancel()
  }

  /** Ends the stream: the receiver gets the messages already sent, then null. A loan not published is dropped. */
  close(): void {
    this.cancelLoan()
    this.markClosed()
  }

  /** Writes a message into the ring, waiting for room when there is none. */
  #send(message: MessageSource, kind: number, length: number, timeoutMs: number | undefined): void {
    if (!this.#write(message, kind, length)) this.run(() => this.#writeAgain(message, kind, length), this.#room(length), timeoutMs)
  }

  /** #send() waiting off the event loop; nothing to wait for (undefined) when there was room. */
  #sendAsync(message: MessageSource, kind: number, length: number, timeoutMs: number | undefined): Promise<boolean> | undefined {
    if (this.#write(message, kind, length)) return undefined
    return this.runAsync(() => this.#writeAgain(message, kind, length), this.#room(length), timeoutMs)
  }

  /** The length of a message to send, checked with the call's timeout: sending is possible now. */
  #sendable(length: number, timeoutMs: number | undefined, name = 'message'): number {
    if (timeoutMs !== undefined) checkTimeout(timeoutMs)
    this.usable('sender')
    this.#noLoanOut()
    if (length > this.#maxBytes) throw invalidArgValue(name, `${length} bytes`, `is larger than this channel carries (${this.#maxBytes} bytes)`)
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
    return new Uint8Array(this.#buffer, this.#base + at, length)
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
    if (this.#loaned !== NO_LOAN) throw invalidState('a slot from loan() is out: publish() or cancelLoan() it before sending or loaning again')
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
