// Errors shaped like Node's own: argument errors carry Node's codes, failed
// syscalls carry code ('EINVAL'), negative errno and the syscall's name.
import { constants } from 'node:os'
import { getSystemErrorMap } from 'node:util'

/**
 * An Error from a failed system call, as Node's fs module throws them.
 * @example
 * ```js
 * import { fstat } from 'mman'
 *
 * try {
 *   fstat(1_000_000)
 * } catch (error) {
 *   console.log(error.code, error.errno, error.syscall)
 *   console.log(error.message)
 * }
 * ```
 *
 * ```text
 * EBADF -9 fstat
 * EBADF: bad file descriptor, fstat
 * ```
 */
export interface SyscallError extends Error {
  /** The errno's name, such as `'EINVAL'`. */
  code: string
  /** The errno as a negative number, as Node reports it (-22 for EINVAL). */
  errno: number
  /** The call that failed, such as `'mmap'`. */
  syscall: string
}

const systemErrors = getSystemErrorMap()
// libuv names fewer errnos than Linux has; the rest get their C name.
for (const [code, errno] of Object.entries(constants.errno)) {
  if (!systemErrors.has(-errno)) systemErrors.set(-errno, [code, code.toLowerCase()])
}

/** The negative errno of a code, as the addon returns them: `errno('EBUSY')` is -16 on Linux. */
export const errno = (code: keyof typeof constants.errno): number => -constants.errno[code]

/** Builds the error for `negativeErrno` (as the addon returns it) from `syscall`. */
export function syscallError(negativeErrno: number, syscall: string, explanation?: string): SyscallError {
  const [code, message] = systemErrors.get(negativeErrno) ?? [`E${-negativeErrno}`, 'unknown error']
  const error = new Error(`${code}: ${message}, ${syscall}${explanation ? ` (${explanation})` : ''}`) as SyscallError
  error.code = code
  error.errno = negativeErrno
  error.syscall = syscall
  return error
}

/** Returns `result` unless it is a negative errno, which it throws. */
export function check<T>(result: T | number, syscall: string, explain?: (code: string) => string | undefined): T {
  if (typeof result === 'number' && result < 0) {
    const code = systemErrors.get(result)?.[0] ?? ''
    throw syscallError(result, syscall, explain?.(code))
  }
  return result as T
}

type CodedError<E extends Error> = E & { code: string }

function coded<E extends Error>(error: E, code: string): CodedError<E> {
  return Object.assign(error, { code })
}

/**
 * A short description of a received value, as Node words it. It never calls
 * into the value (no toString, no getters that could throw): describing a bad
 * argument must not fail itself.
 */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'function' || typeof value === 'object') {
    let name: unknown
    try {
      name =
        typeof value === 'function'
          ? value.name
          : (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name
    } catch {
      name = undefined
    }
    if (typeof value === 'function') return `function ${typeof name === 'string' && name ? name : '<anonymous>'}`
    return typeof name === 'string' && name ? `an instance of ${name}` : 'an object'
  }
  if (typeof value === 'symbol') return `type symbol (${value.description ?? ''})`
  if (typeof value === 'bigint') return `type bigint (${value}n)`
  if (typeof value === 'string') return `type string ('${value.length > 28 ? `${value.slice(0, 25)}...` : value}')`
  // What is left is a number, a boolean or undefined: typeof does not narrow unknown that far.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  const shown = String(value)
  return `type ${typeof value} (${shown})`
}

function shown(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'string') return `'${value}'`
  if (typeof value === 'object' || typeof value === 'function' || typeof value === 'symbol') {
    return value === null ? 'null' : describe(value)
  }
  // A number, a boolean or undefined (see describe()).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(value)
}

export function invalidArgType(name: string, expected: string, actual: unknown): CodedError<TypeError> {
  return coded(
    new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`),
    'ERR_INVALID_ARG_TYPE',
  )
}

export function outOfRange(name: string, range: string, actual: unknown): CodedError<RangeError> {
  return coded(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown(actual)}`),
    'ERR_OUT_OF_RANGE',
  )
}

export function invalidArgValue(name: string, actual: unknown, reason: string): CodedError<TypeError> {
  return coded(new TypeError(`The argument '${name}' ${reason}. Received ${shown(actual)}`), 'ERR_INVALID_ARG_VALUE')
}

/** `new` on a class whose objects only the library makes (as Node's own such classes throw). */
export function illegalConstructor(use: string): CodedError<TypeError> {
  return coded(new TypeError(`Illegal constructor: use ${use}`), 'ERR_ILLEGAL_CONSTRUCTOR')
}

/** Use of a mapping (or one of its views) after it was unmapped or remapped. */
export function invalidState(message: string): CodedError<Error> {
  return coded(new Error(`Invalid state: ${message}`), 'ERR_INVALID_STATE')
}
