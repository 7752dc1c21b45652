// The first byte of a message through the ipc suite's transports (each in a
// pair of its own): what the peer does with it. An echo comes back; items are
// counted and answered, after the end, with one reply.
export const ECHO = 1
export const ITEM = 2
export const END = 3
