// A parent end in a process of its own (engines.ts): measures one
// transport (argv: name, message size, options as JSON) and sends the result
// back. Its environment, which its peer inherits, picks the wait engine.
import { measure, type MeasureOptions } from './measure.js'
import { transports } from './transports.js'

const [name, size, options] = process.argv.slice(2) as [string, string, string]
const make = transports(undefined)[name]
if (make === undefined) throw new Error(`ipc driver: no transport '${name}'`)
const measured = await measure(name, make, Number(size), JSON.parse(options) as MeasureOptions)
await new Promise((sent) => process.send!(measured, sent))
process.disconnect()
