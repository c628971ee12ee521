// Progress lines for stdout, written together once per turn of the event loop. Writes to a pipe
// or a file are synchronous in Node on Linux: a loop over thousands of items made one system call
// per line. What is still pending when the process exits is written then.

let pending = '';
let scheduled = false;
let hooked = false;

export function flushStdout(): void {
  scheduled = false;
  if (!pending) return;
  const text = pending;
  pending = '';
  process.stdout.write(text);
}

/** Queues text for stdout; it is written before the next timers or I/O callbacks run. */
export function writeStdout(text: string): void {
  pending += text;
  if (!hooked) {
    hooked = true;
    process.once('exit', flushStdout);
  }
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushStdout);
  }
}
