import type { Transform } from 'node:stream';

import type { Compression } from './core-file-name.js';

/**
 * A streaming in-process decompressor for a core's compression (zstd, lz4 frame, xz), or undefined
 * for an uncompressed core. Native bindings keep throughput close to the CLIs without a subprocess;
 * a corrupt archive makes the stream error, so the caller can abort the response.
 */
export function createDecompressor(compression: Compression): Transform | undefined {
  switch (compression) {
    case 'zst': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DecompressStream } = require('zstd-napi') as typeof import('zstd-napi');
      return new DecompressStream();
    }
    case 'lz4': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lz4 = require('lz4') as { createDecoderStream(): Transform };
      return lz4.createDecoderStream();
    }
    case 'xz': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lzma = require('lzma-native') as { createDecompressor(): Transform };
      return lzma.createDecompressor();
    }
    case 'none':
      return undefined;
  }
}
