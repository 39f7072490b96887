import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** Size of each of the two read buffers. */
const CHUNK = 1 << 20;

/** Writes `chunk` and resolves once the destination has handed it on (so the buffer is free). */
export function writeAndWait(dest: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (dest.destroyed) {
      reject(new Error('destination closed'));
      return;
    }
    // A destination closed mid-write (client gone) may never call back: 'close' settles it.
    const onClose = () => reject(new Error('destination closed'));
    dest.once('close', onClose);
    dest.write(chunk, (err) => {
      dest.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * Copies bytes `start..end` (inclusive) of an open file to `dest` through two reused 1 MiB
 * buffers: one is read while the other is written. Memory stays at 2 MiB whatever the file size,
 * where a read stream allocates a fresh buffer per chunk and leaves the garbage collector tens of
 * MiB behind. Backpressure is implicit: the next write waits for the previous one to complete.
 * Rejects if the file ends early (truncated while being read) or the destination fails; it does
 * not end `dest`.
 */
export async function copyFileRange(
  handle: FileHandle,
  start: number,
  end: number,
  dest: Writable,
): Promise<void> {
  const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)] as const;
  let position = start;
  let remaining = end - start + 1;
  const readInto = (i: 0 | 1) => handle.read(buffers[i], 0, Math.min(CHUNK, remaining), position);
  let current: 0 | 1 = 0;
  let reading = readInto(current);
  while (remaining > 0) {
    const { bytesRead } = await reading;
    if (bytesRead === 0) throw new Error(`file ended ${remaining} bytes short`);
    position += bytesRead;
    remaining -= bytesRead;
    const next: 0 | 1 = current === 0 ? 1 : 0;
    if (remaining > 0) reading = readInto(next);
    try {
      await writeAndWait(dest, buffers[current].subarray(0, bytesRead));
    } catch (err) {
      if (remaining > 0) await reading.catch(() => undefined); // never leave a read into a buffer in flight
      throw err;
    }
    current = next;
  }
}
