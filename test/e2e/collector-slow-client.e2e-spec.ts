import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';

import { spawnBuiltCollector, type SpawnedCollector } from '../support/collector.js';

const SIZE = 256 << 20;
const RATE = 4 << 20; // bytes per second the client reads

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Downloads `url`, reading no faster than RATE (the socket is paused between chunks). */
function slowDownload(
  url: string,
): Promise<{ status: number; bytes: number; sha: string; seconds: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    get(url, (res) => {
      const h = createHash('sha256');
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        h.update(chunk);
        bytes += chunk.length;
        const due = start + (bytes / RATE) * 1000;
        const wait = due - Date.now();
        if (wait > 0) {
          res.pause();
          setTimeout(() => res.resume(), wait);
        }
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          sha: h.digest('hex'),
          seconds: (Date.now() - start) / 1000,
          complete: res.complete,
        }),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function waitForListed(url: string, id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const cores = (await (await fetch(`${url}/apiv1/cores`)).json()) as { id: string }[];
    if (cores.some((c) => c.id === id)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${id} never listed`);
}

describe('node-collector download to a slow client', () => {
  let work: string;
  let collector: SpawnedCollector;
  const id = 'core.big.0.0123456789abcdef0123456789abcdef.4242.1764355200000000';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredump-slow-'));
    const coreDir = join(work, 'coredump');
    await mkdir(coreDir);
    // 256 MiB of a repeating pseudo-random 1 MiB block: cheap to write, not a run of zeros.
    const block = createHash('sha512').update('seed').digest();
    const mib = Buffer.alloc(1 << 20);
    for (let i = 0; i < mib.length; i += block.length) {
      block.copy(mib, i, 0, Math.min(block.length, mib.length - i));
    }
    for (let i = 0; i < mib.length; i += 4096) mib.writeUInt32LE(i, i);
    const out = createWriteStream(join(coreDir, id));
    for (let i = 0; i < SIZE >> 20; i++) {
      mib.writeUInt32LE(i, 0);
      if (!out.write(mib)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    out.end();
    await finished(out);
    collector = await spawnBuiltCollector({
      KOREDUMP_COREDUMP_DIR: coreDir,
      KOREDUMP_JOURNAL_DIR: work,
    });
  }, 60_000);

  afterAll(async () => {
    await collector?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('delivers a 256 MiB core completely to a client reading at 4 MiB/s (no server timeout)', async () => {
    const result = await slowDownload(`${collector.url}/apiv1/cores/download/${id}`);
    expect(result.status).toBe(200);
    expect(result.complete).toBe(true);
    expect(result.bytes).toBe(SIZE);
    expect(result.sha).toBe(await sha256File(join(work, 'coredump', id)));
    expect(result.seconds).toBeGreaterThan(60); // it really was slow
  }, 150_000);

  it('aborts the connection when the file shrinks mid-download (never a clean short 200)', async () => {
    const small = 'core.shrink.0.0123456789abcdef0123456789abcdef.4243.1764355200000000';
    const path = join(work, 'coredump', small);
    await writeFile(path, Buffer.alloc(64 << 20, 0x5a));
    await waitForListed(collector.url, small);
    const outcome = await new Promise<{ bytes: number; complete: boolean; error?: string }>(
      (resolve) => {
        get(`${collector.url}/apiv1/cores/download/${small}`, (res) => {
          let bytes = 0;
          res.once('data', () => {
            // Hold the client back while the file loses most of its bytes, then read on.
            res.pause();
            truncate(path, 1 << 20).then(
              () => setTimeout(() => res.resume(), 200),
              () => res.resume(),
            );
          });
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => resolve({ bytes, complete: res.complete }));
          res.on('error', (err) => resolve({ bytes, complete: false, error: err.message }));
          res.on('aborted', () => resolve({ bytes, complete: false, error: 'aborted' }));
        }).on('error', (err) => resolve({ bytes: 0, complete: false, error: err.message }));
      },
    );
    expect(outcome.complete).toBe(false);
    expect(outcome.bytes).toBeLessThan(64 << 20);
  }, 60_000);
});
