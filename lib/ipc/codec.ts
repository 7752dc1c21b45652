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

/** The kind of a message send() takes; anything else is ERR_INVALID_ARG_TYPE. */
export function messageKind(message: unknown): MessageKind {
  if (typeof message === 'string') return STRING
  if (ArrayBuffer.isView(message)) return BYTES
  throw invalidArgType('message', 'a string, TypedArray, DataView or Buffer', message)
}

/** The bytes a message of its kind takes in the ring. */
export const messageLength = (message: Message, kind: MessageKind) =>
  kind === STRING ? Buffer.byteLength(message as string) : (message as ArrayBufferView).byteLength

/** Writes a message of `length` bytes at `at` of the ring's data area. */
export function writeMessage(bytes: Uint8Array, text: Buffer, at: number, message: Message, length: number): void {
  if (typeof message === 'string') text.write(message, at, length)
  else bytes.set(message instanceof Uint8Array ? message : new Uint8Array(message.buffer, message.byteOffset, length), at)
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
    throw new ChannelError('ERR_CHANNEL_CORRUPT', `the message is not a value sendValue() wrote: ${(error as Error).message}`)
  }
}
