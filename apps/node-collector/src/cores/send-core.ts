import { Logger } from '@nestjs/common';
import {
  copyFileRange,
  copyZstdDecompressed,
  createDecompressor,
  openCoreFile,
  stripCompressionSuffix,
} from '@koredump/coredump';
import { decideByteRange } from '@koredump/http';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';

import type { CoreRecord } from './core-record.js';

const logger = new Logger('Download');

/** RFC 6266 Content-Disposition with an ASCII fallback and the exact name in filename*. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

function etagOf(size: number, mtimeMs: number, ino: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}-${ino.toString(16)}"`;
}

/** True when the client's cached copy (If-None-Match / If-Modified-Since) is current. */
function notModified(req: Request, etag: string, mtime: Date): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    return inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
  }
  const ims = req.headers['if-modified-since'];
  if (ims) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

/** What a download's body streaming reports (to /metrics). */
export interface DownloadObserver {
  /** A body starts streaming: raw bytes, or decompressed on the fly. */
  started(mode: 'raw' | 'decompressed'): void;
  /** Body bytes the socket accepted (counted when each write completes, never when queued). */
  wrote(bytes: number, mode: 'raw' | 'decompressed'): void;
  /** The body ended: complete, failed or aborted by the client. Called once per started(). */
  ended(mode: 'raw' | 'decompressed'): void;
}

type WriteCallback = (err?: Error | null) => void;

/**
 * Reports the body bytes written to `res` from the completion of each write: a write the client
 * never received (connection gone) is not counted. Patches this one response's write.
 */
function countWrites(res: Response, onWritten: (bytes: number) => void): void {
  const write = res.write.bind(res) as (
    chunk: unknown,
    encoding: BufferEncoding | undefined,
    cb: WriteCallback,
  ) => boolean;
  res.write = ((
    chunk: unknown,
    encodingOrCb?: BufferEncoding | WriteCallback,
    cb?: WriteCallback,
  ) => {
    const callback = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    const encoding = typeof encodingOrCb === 'function' ? undefined : encodingOrCb;
    const bytes =
      typeof chunk === 'string'
        ? Buffer.byteLength(chunk, encoding)
        : (chunk as ArrayBufferView).byteLength;
    return write(chunk, encoding, (err) => {
      if (!err) onWritten(bytes);
      callback?.(err);
    });
  }) as Response['write'];
}

/** Runs `stream` with the observer told when the body starts, what it wrote, and when it ended. */
async function observed(
  res: Response,
  mode: 'raw' | 'decompressed',
  observer: DownloadObserver | undefined,
  stream: () => Promise<void>,
): Promise<void> {
  if (!observer) return stream();
  countWrites(res, (bytes) => observer.wrote(bytes, mode));
  observer.started(mode);
  try {
    await stream();
  } finally {
    observer.ended(mode);
  }
}

function sendError(res: Response, statusCode: number, error: string, message: string): void {
  res.status(statusCode).json({ statusCode, error, message });
}

/**
 * Streams a core file: conditional requests, single byte ranges, optional in-process decompression.
 * Never buffers the file; a read or decompression failure after the headers are sent destroys the
 * connection, so a client can always tell a truncated download from a complete one.
 */
export async function sendCore(
  req: Request,
  res: Response,
  coreDir: string,
  record: CoreRecord,
  decompress: boolean,
  observer?: DownloadObserver,
): Promise<void> {
  const opened = await openCoreFile(coreDir, record.id);
  if (!opened) return sendError(res, 404, 'Not Found', `core ${record.id} not found`);
  const { handle, size, mtime, ino } = opened;
  try {
    const head = req.method === 'HEAD';
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Last-Modified', mtime.toUTCString());
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('X-Content-Type-Options', 'nosniff');

    if (decompress && record.compression !== 'none') {
      // The decompressed size is unknown up front: chunked, no ranges, no validators.
      res.setHeader('Content-Disposition', contentDisposition(stripCompressionSuffix(record.id)));
      res.setHeader('Accept-Ranges', 'none');
      res.status(200);
      if (head) {
        res.end();
        return;
      }
      res.flushHeaders();
      try {
        await observed(res, 'decompressed', observer, async () => {
          if (record.compression === 'zst') {
            await copyZstdDecompressed(handle, res);
          } else {
            const decompressor = createDecompressor(record.compression);
            if (!decompressor) throw new Error(`no decompressor for ${record.compression}`);
            await pipeline(
              handle.createReadStream({ autoClose: false, highWaterMark: 1 << 20 }),
              decompressor,
              res,
              { end: false },
            );
          }
        });
        res.end();
      } catch (err) {
        if (!isClientGone(err, res)) {
          logger.error(`decompressing ${record.id} failed: ${(err as Error).message}`);
        }
        // Cut the connection: the client sees a broken transfer, never a clean short body.
        res.destroy();
      }
      return;
    }

    const etag = etagOf(size, mtime.getTime(), ino);
    res.setHeader('ETag', etag);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Disposition', contentDisposition(record.id));
    if (notModified(req, etag, mtime)) {
      res.removeHeader('Content-Type');
      res.status(304).end();
      return;
    }
    // If-Range: ranges only apply while the client's validator is still current.
    const ifRange = req.headers['if-range'];
    const rangeApplies = !ifRange || ifRange === etag || ifRange === mtime.toUTCString();
    const range = decideByteRange(rangeApplies ? req.headers.range : undefined, size);
    if (range.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      res.removeHeader('Content-Disposition');
      return sendError(
        res,
        416,
        'Range Not Satisfiable',
        `range "${req.headers.range}" cannot be satisfied for a core of ${size} bytes`,
      );
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : size - 1;
    const length = end - start + 1;
    if (range.kind === 'partial') {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    } else {
      res.status(200);
    }
    res.setHeader('Content-Length', String(length));
    if (head || length === 0) {
      res.end();
      return;
    }
    try {
      await observed(res, 'raw', observer, () => copyFileRange(handle, start, end, res));
      res.end();
    } catch (err) {
      if (!isClientGone(err, res)) {
        logger.error(`sending ${record.id} failed: ${(err as Error).message}`);
      }
      // Cut the connection: the client sees a broken transfer, never a clean short body.
      res.destroy();
    }
  } finally {
    await handle.close();
  }
}

function isClientGone(err: unknown, res: Response): boolean {
  return (
    (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    res.destroyed ||
    !res.socket
  );
}
