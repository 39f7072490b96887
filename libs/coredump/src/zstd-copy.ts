import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

import { writeAndWait } from './stream-file.js';

interface ZstdDCtx {
  /** ZSTD_decompressStream: [bytes left to flush (0: frame complete), produced, consumed]. */
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
}

const IN_CHUNK = 1 << 20;
const OUT_CHUNK = 1 << 20;

/**
 * Decompresses a zstd file straight into `dest` with one decompression context, one reused input
 * buffer and two reused output buffers (one filling while the other is being written). Compared
 * with a Transform stream this allocates nothing per chunk, so throughput is bound by zstd and the
 * socket, and memory stays at 3 MiB whatever the core size. Rejects on a corrupt or truncated
 * archive (a frame left incomplete at end of file); does not end `dest`.
 */
export async function copyZstdDecompressed(handle: FileHandle, dest: Writable): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DCtx } = require('zstd-napi/binding') as { DCtx: new () => ZstdDCtx };
  const dctx = new DCtx();
  const input = Buffer.allocUnsafe(IN_CHUNK);
  const outputs = [Buffer.allocUnsafe(OUT_CHUNK), Buffer.allocUnsafe(OUT_CHUNK)] as const;
  const pending: [Promise<void> | undefined, Promise<void> | undefined] = [undefined, undefined];
  let current: 0 | 1 = 0;
  let outPos = 0;
  let position = 0;
  let frameOpen = false;

  const flush = async (): Promise<void> => {
    if (outPos === 0) return;
    pending[current] = writeAndWait(dest, outputs[current].subarray(0, outPos));
    current = current === 0 ? 1 : 0;
    outPos = 0;
    await pending[current]; // the buffer we are about to fill must be written out first
  };

  try {
    for (;;) {
      const { bytesRead } = await handle.read(input, 0, IN_CHUNK, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      let inPos = 0;
      // Consume the whole input chunk; also drain output zstd still holds (ret > 0, nothing read).
      while (inPos < bytesRead) {
        const [ret, produced, consumed] = dctx.decompressStream(
          outputs[current].subarray(outPos),
          input.subarray(inPos, bytesRead),
        );
        inPos += consumed;
        outPos += produced;
        frameOpen = ret !== 0;
        if (outPos === OUT_CHUNK) await flush();
      }
      // Output zstd may still hold for the input it has consumed.
      while (frameOpen && outPos < OUT_CHUNK) {
        const [ret, produced] = dctx.decompressStream(
          outputs[current].subarray(outPos),
          input.subarray(0, 0),
        );
        outPos += produced;
        frameOpen = ret !== 0;
        if (produced === 0) break;
        if (outPos === OUT_CHUNK) await flush();
      }
    }
    if (frameOpen) throw new Error('truncated zstd archive: the last frame is incomplete');
    await flush();
    await Promise.all(pending.filter((p) => p !== undefined));
  } catch (err) {
    await Promise.allSettled(pending.filter((p) => p !== undefined));
    throw err;
  }
}
