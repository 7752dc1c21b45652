// What a message is on the wire: its kind (record.ts) and bytes. Bytes go in
// as they are, a string as UTF-8 written straight into the ring, any other
// value as the v8 serializer's bytes. What comes out depends on how it is
// asked for:
//
//   record kind    receive()/receiveView()  receiveString()  receiveValue()
//   bytes          the bytes                UTF-8 decoded    a Buffer (copy)
//   string         its UTF-8 bytes          the string       the string
//   value          ERR_CHANNEL_WRONG_KIND   ERR_..._KIND     the value
//
// A string is bytes to the byte forms (as it always was), and receiveValue()
// returns every message as it was sent; but a value's bytes are the v8
// serializer's private format, so handing them out as a message would only
// hide a mistake. A refused message stays in the channel for the right call.
import { deserialize, serialize } from 'node:v8'
import { invalidArgType, invalidArgValue } from '../errors.js'
import { ChannelError } from './channel-error.js'
import { BYTES, STRING, VALUE, type MessageKind } from './record.js'

/**
 * A message ChannelSender.send() takes: bytes (a Buffer, TypedArray or
 * DataView: the bytes it views) or a string, sent as UTF-8.
 */
export type Message = ArrayBufferView | string

/** What send() writes: a string, or exactly the bytes of the message (messageSource()). */
export type MessageSource = Uint8Array | string

/** The kind of a message send() takes; anything else is ERR_INVALID_ARG_TYPE. */
export function messageKind(message: unknown): MessageKind {
  if (typeof message === 'string') return STRING
  if (ArrayBuffer.isView(message)) return BYTES
  throw invalidArgType('message', 'a string, TypedArray, DataView or Buffer', message)
}

// A view's own slots, read with the built-in getters: a subclass can override
// byteLength or buffer, and a getter that lied about the length (the ring took
// more bytes than it reserved, over unread messages) or sent a message itself
// (between the reservation and the write: a message nobody sent, then a
// corrupt ring) must not run once room is reserved.
const ownGetter = (prototype: object, name: PropertyKey) =>
  Object.getOwnPropertyDescriptor(prototype, name)!.get! as (this: unknown) => never
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object
const typedArrayTag = ownGetter(typedArrayPrototype, Symbol.toStringTag) as (this: unknown) => string | undefined
const typedArrayBuffer = ownGetter(typedArrayPrototype, 'buffer') as (this: unknown) => ArrayBufferLike
const typedArrayByteOffset = ownGetter(typedArrayPrototype, 'byteOffset') as (this: unknown) => number
const typedArrayByteLength = ownGetter(typedArrayPrototype, 'byteLength') as (this: unknown) => number
const dataViewBuffer = ownGetter(DataView.prototype, 'buffer') as (this: unknown) => ArrayBufferLike
const dataViewByteOffset = ownGetter(DataView.prototype, 'byteOffset') as (this: unknown) => number
const dataViewByteLength = ownGetter(DataView.prototype, 'byteLength') as (this: unknown) => number
const NO_BYTES = new Uint8Array(0)

/**
 * What send() writes for a message of `kind`: the string, or a Uint8Array of
 * exactly the bytes the view covers (the view itself when it is one), made
 * from its own slots without running any code of the caller's. A view whose
 * buffer was detached (or shrunk under it) is no bytes.
 */
export function messageSource(message: Message, kind: MessageKind): MessageSource {
  if (kind === STRING) return message as string
  if (typedArrayTag.call(message) === 'Uint8Array') return message as Uint8Array
  let buffer: ArrayBufferLike, byteOffset: number, byteLength: number
  if (typedArrayTag.call(message) !== undefined) {
    byteLength = typedArrayByteLength.call(message)
    if (byteLength === 0) return NO_BYTES
    buffer = typedArrayBuffer.call(message)
    byteOffset = typedArrayByteOffset.call(message)
  } else {
    try {
      byteLength = dataViewByteLength.call(message)
    } catch {
      return NO_BYTES // detached, or out of its resizable buffer's bounds
    }
    buffer = dataViewBuffer.call(message)
    byteOffset = dataViewByteOffset.call(message)
  }
  return new Uint8Array(buffer, byteOffset, byteLength)
}

/** The bytes a message source takes in the ring. */
export const sourceLength = (source: MessageSource) =>
  typeof source === 'string' ? Buffer.byteLength(source) : typedArrayByteLength.call(source)

/** Writes a message source of `length` bytes (sourceLength()) at `at` of the ring's data area. */
export function writeMessage(bytes: Uint8Array, text: Buffer, at: number, source: MessageSource, length: number): void {
  if (typeof source === 'string') text.write(source, at, length)
  else if (length > 0) bytes.set(source, at)
}

/** The v8 serializer's bytes for a value, or a coded error for what it cannot carry (functions, SharedArrayBuffers, ...). */
export function serialized(value: unknown): Buffer {
  try {
    return serialize(value)
  } catch (error) {
    throw invalidArgValue('value', value, `cannot be serialized for another process (${(error as Error).message})`)
  }
}

/** How a receiver asks for a message: receive(), receiveView(), receiveString(), receiveValue(). */
export const AS_BUFFER = 0
export const AS_VIEW = 1
export const AS_STRING = 2
export const AS_VALUE = 3
export type Form = typeof AS_BUFFER | typeof AS_VIEW | typeof AS_STRING | typeof AS_VALUE

/** Whether `form` hands out messages of `kind` (see the table above). */
export const accepts = (form: Form, kind: number) => form === AS_VALUE || kind !== VALUE

const KIND_NAMES: Record<number, string> = { [BYTES]: 'bytes', [STRING]: 'a string', [VALUE]: 'a value (sendValue())' }
const FORM_NAMES = ['receive()', 'receiveView()', 'receiveString()', 'receiveValue()']

/** Why `form` refused a message of `kind`, for people. */
export const refusal = (form: Form, kind: number) =>
  `the next message is ${KIND_NAMES[kind]}, which ${FORM_NAMES[form]} does not take: receiveValue() does (it stays in the channel)`

/**
 * The value in a copy of sendValue()'s bytes: a copy the value may keep (a
 * Buffer or typed array in it is a view of the bytes deserialize() gets).
 * Bytes that are no value are ERR_CHANNEL_CORRUPT.
 */
export function deserialized(copy: Uint8Array): unknown {
  try {
    return deserialize(copy)
  } catch (error) {
    throw new ChannelError(
      'ERR_CHANNEL_CORRUPT',
      `the message is not a value sendValue() wrote: ${(error as Error).message}`,
    )
  }
}
