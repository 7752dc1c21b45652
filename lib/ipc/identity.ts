// Who holds something shared, named so that death is seen without pid races:
// a thread is its id AND its start time (clock ticks since boot, from /proc),
// so a reused id is a different thread, and a zombie is dead. kill(pid, 0)
// can tell neither (it succeeds on zombies and on whoever reused the pid).
import { readFileSync } from 'node:fs'
import { native } from '../native.js'

/** A thread, as another process can check it: its id and its start time's low 32 bits. */
export interface ThreadIdentity {
  tid: number
  start: number
}

interface TaskStat {
  state: string
  start: number
}

/** Fields of /proc/<tid>/stat (comm may hold spaces and parentheses: fields count from the last ')'). */
function taskStat(path: string): TaskStat | undefined {
  let text: string
  try {
    text = readFileSync(path, 'latin1')
  } catch {
    return undefined
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is stat field 3 (state); field 22 (starttime) is fields[19].
  const start = fields[19]
  if (fields[0] === undefined || start === undefined) return undefined
  return { state: fields[0], start: Number(BigInt(start) & 0xffffffffn) }
}

let mine: ThreadIdentity | undefined

/** This thread's identity (each worker thread has its own). */
export function threadIdentity(): ThreadIdentity {
  if (mine === undefined) {
    const stat = taskStat('/proc/thread-self/stat')
    mine = { tid: native.gettid(), start: stat?.start ?? 0 }
  }
  return mine
}

/** False once the thread is gone, a zombie, or its id names another thread now. */
export function isAlive(identity: ThreadIdentity): boolean {
  if (identity.tid <= 0) return false
  const stat = taskStat(`/proc/${identity.tid}/stat`)
  if (stat === undefined) return processExists(identity.tid)
  return stat.state !== 'Z' && stat.state !== 'X' && stat.start === identity.start
}

/** A process's liveness by pid alone, for a peer that has not yet said who it is (a zombie is dead). */
export function isProcessAlive(pid: number): boolean {
  if (pid <= 0) return false
  const stat = taskStat(`/proc/${pid}/stat`)
  if (stat === undefined) return processExists(pid)
  return stat.state !== 'Z' && stat.state !== 'X'
}

// /proc may hide other users' processes (hidepid): then only kill(0) can say it exists.
function processExists(id: number): boolean {
  try {
    process.kill(id, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'
  }
}

const START_SHIFT = 32n

/** The identity packed in one 64-bit word (start high, tid low), so that one atomic write claims with both. */
export function packIdentity(identity: ThreadIdentity, lowBits = 0): bigint {
  return BigInt.asIntN(64, (BigInt(identity.start) << START_SHIFT) | BigInt((identity.tid | lowBits) >>> 0))
}

/** The identity in a packed word, without the given flag bits of its low half. */
export function unpackIdentity(word: bigint, flagBits = 0): ThreadIdentity {
  const unsigned = BigInt.asUintN(64, word)
  return { tid: Number(unsigned & 0xffffffffn) & ~flagBits, start: Number(unsigned >> START_SHIFT) }
}
