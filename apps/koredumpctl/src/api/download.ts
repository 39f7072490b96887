import { chmod, open, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { CliError } from '../errors.js';
import { formatSize } from '../format/units.js';
import type { ApiClient } from './api-client.js';

/** Receives progress of one download (a terminal bar, or nothing). */
export interface ProgressSink {
  start(label: string, total: number | undefined, resumedFrom: number): void;
  update(done: number): void;
  finish(): void;
}

export const NO_PROGRESS: ProgressSink = {
  start: () => undefined,
  update: () => undefined,
  finish: () => undefined,
};

export interface DownloadOptions {
  node: string;
  id: string;
  /** Final path; the transfer goes to `<dest>.part` and is renamed when complete. */
  dest: string;
  decompress?: boolean;
  /** Resume `<dest>.part` with a Range request (not for decompressed downloads: no ranges). */
  resume?: boolean;
  progress?: ProgressSink;
  label?: string;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** Bytes that were already there (resumed part, or a complete file that was kept). */
  reused: number;
}

/** `bytes 100-199/1000` gives start 100 and total 1000; the unsatisfied form (star/1000) only the total. */
export function parseContentRange(header: string | undefined): {
  start?: number;
  end?: number;
  total?: number;
} {
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(header?.trim() ?? '');
  if (!m) return {};
  return {
    start: m[1] !== undefined ? Number(m[1]) : undefined,
    end: m[2] !== undefined ? Number(m[2]) : undefined,
    total: m[3] !== '*' ? Number(m[3]) : undefined,
  };
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

function contentLength(res: IncomingMessage): number | undefined {
  const v = res.headers['content-length'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * Downloads a core (or its decompressed form) to `dest`, streamed: written to `<dest>.part`
 * (mode 0600), size checked against Content-Length / Content-Range, then renamed. A transfer that
 * breaks leaves the part file, which `resume` continues with `Range: bytes=<size>-`.
 */
export async function downloadCore(api: ApiClient, opts: DownloadOptions): Promise<DownloadResult> {
  const part = `${opts.dest}.part`;
  const subject = { what: `download of ${opts.id}`, node: opts.node, id: opts.id };
  const progress = opts.progress ?? NO_PROGRESS;
  let start = 0;

  if (opts.resume && !opts.decompress) {
    const existing = await sizeOf(opts.dest);
    if (existing !== undefined) {
      // A complete file from an earlier run: keep it when the server's size agrees.
      const head = await api.download(opts.node, opts.id, { method: 'HEAD' });
      head.resume();
      if ((head.statusCode ?? 0) >= 300) throw await api.failure(head, subject);
      if (contentLength(head) === existing) {
        return { path: opts.dest, bytes: existing, reused: existing };
      }
    }
    start = (await sizeOf(part)) ?? 0;
  }

  let res = await api.download(opts.node, opts.id, {
    decompress: opts.decompress,
    headers: start > 0 ? { Range: `bytes=${start}-` } : undefined,
  });
  let total: number | undefined;
  if (res.statusCode === 416 && start > 0) {
    // The part is as long as (or longer than) the core: complete if exactly as long.
    const { total: t } = parseContentRange(res.headers['content-range']);
    res.resume();
    if (t === start) {
      await chmod(part, 0o600);
      await rename(part, opts.dest);
      return { path: opts.dest, bytes: start, reused: start };
    }
    start = 0;
    res = await api.download(opts.node, opts.id, { decompress: opts.decompress });
  }
  const status = res.statusCode ?? 0;
  if (status === 206) {
    const cr = parseContentRange(res.headers['content-range']);
    if (cr.start !== start || cr.total === undefined) {
      res.destroy();
      throw new CliError(
        `download of ${opts.id}: the server answered the range ${start}- with ${res.headers['content-range'] ?? 'no Content-Range'}`,
      );
    }
    total = cr.total;
  } else if (status >= 200 && status < 300) {
    start = 0; // the server sent everything (no range support, or a decompressed stream)
    total = contentLength(res);
  } else {
    throw await api.failure(res, subject);
  }

  const fh = await open(part, start > 0 ? 'a' : 'w', 0o600);
  await fh.chmod(0o600);
  let done = start;
  progress.start(opts.label ?? opts.id, total, start);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      progress.update(done);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res, counter, fh.createWriteStream());
  } catch (err) {
    progress.finish();
    const of = total !== undefined ? ` of ${formatSize(total)}` : '';
    throw new CliError(
      `download of ${opts.id} interrupted after ${formatSize(done)}${of}: ${(err as Error).message}`,
      undefined,
      opts.decompress
        ? 'run the command again (decompressed downloads start over)'
        : `the partial file ${part} was kept; run again with --continue to resume`,
    );
  }
  progress.finish();
  if (!res.complete) {
    throw new CliError(
      `download of ${opts.id} ended early after ${formatSize(done)}`,
      undefined,
      `run again with --continue to resume`,
    );
  }
  if (total !== undefined && done !== total) {
    throw new CliError(
      `download of ${opts.id} is ${done} bytes but the server announced ${total}`,
      undefined,
      `the partial file ${part} was kept; run again with --continue to resume`,
    );
  }
  await rename(part, opts.dest);
  return { path: opts.dest, bytes: done, reused: start };
}

/** Writes a small file the safe way: `<path>.part` (mode 0600) then rename. */
export async function writeFileAtomic(path: string, content: string | Buffer): Promise<void> {
  const tmp = `${path}.part`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(content);
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}
