// Argument checks that run before any syscall. Each throws Node's own kind of
// error (TypeError / RangeError with an ERR_* code) naming the argument.
import { constants as bufferConstants } from 'node:buffer'
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js'

/** The largest ArrayBuffer this Node can create: views never exceed it. */
export const MAX_VIEW_LENGTH = bufferConstants.MAX_LENGTH

/**
 * An integer (number or bigint) in [min, max], returned as a number. Rejects
 * NaN, fractions and infinities with ERR_OUT_OF_RANGE, other types with
 * ERR_INVALID_ARG_TYPE.
 */
export function integer(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value === 'bigint') {
    if (value < BigInt(min) || value > BigInt(max)) throw outOfRange(name, `>= ${min} && <= ${max}`, value)
    return Number(value)
  }
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number or bigint', value)
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value)
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value)
  return value
}

/** A file descriptor: an integer in [0, 2^31 - 1]. */
export function fileDescriptor(value: unknown, name = 'fd'): number {
  return integer(value, name, 0, 0x7fffffff)
}

/** A bit set whose every bit is one of `known`. */
export function bits(value: unknown, name: string, known: number, what: string): number {
  const set = integer(value, name, 0, 0x7fffffff)
  const unknown = set & ~known
  if (unknown !== 0) {
    throw invalidArgValue(name, value, `has ${what} bits this system does not define (0x${unknown.toString(16)})`)
  }
  return set
}

/** One of a set of allowed values. */
export function oneOf(value: unknown, name: string, allowed: ReadonlySet<number>, what: string): number {
  const chosen = integer(value, name, 0, 0x7fffffff)
  if (!allowed.has(chosen)) throw invalidArgValue(name, value, `is not a known ${what}`)
  return chosen
}

export function boolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value)
  return value
}

/** An optional boolean option: undefined is false. */
export function flag(value: unknown, name: string): boolean {
  return value === undefined ? false : boolean(value, name)
}

/** An options object (or undefined for none). */
export function options<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value)
  }
  return value
}

/** An address hint: null/undefined/0 for none, otherwise an address. */
export function addressHint(value: unknown, name = 'addr'): bigint {
  return value === null || value === undefined ? 0n : address(value, name)
}

/** A mapping length: at least one byte. */
export function mappingLength(value: unknown, name = 'length'): number {
  return integer(value, name, 1)
}

/** A virtual address to compare against VMAs: a bigint in [0, 2^64) or a non-negative integer. */
export function address(value: unknown, name = 'address'): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 64n) throw outOfRange(name, '>= 0n && < 2n ** 64n', value)
    return value
  }
  return BigInt(integer(value, name, 0))
}

/** A timeout in milliseconds: undefined (none), a non-negative number, or Infinity. */
export function timeoutMs(value: unknown, name = 'timeoutMs'): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (Number.isNaN(value) || value < 0)
    throw invalidArgValue(name, value, 'must be a non-negative number of milliseconds or Infinity')
  return value
}
