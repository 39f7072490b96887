import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { spawnBuiltCollector, type SpawnedCollector } from '../support/collector.js';
import { startCoredumpHost, type CoredumpHost } from '../support/coredump-host.js';
import { buildCrasher, coredumpctlDump, crash } from '../support/crasher.js';

const POD_UID = '7d9a8f64-3c2b-4e1a-9f0e-1b2c3d4e5f60';
const CID = 'c0ffee'.padEnd(64, '0');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Core {
  id: string;
  [k: string]: unknown;
}

async function list(url: string): Promise<Core[]> {
  return (await (await fetch(`${url}/apiv1/cores`)).json()) as Core[];
}

/**
 * Polls the list until the core `id` is listed with every field of `expected` (its journal entry
 * merged), or, with `expected` null, until it is gone. Returns the elapsed time and the last record.
 */
async function untilListed(
  url: string,
  id: string,
  expected: Record<string, unknown> | null,
  timeoutMs: number,
): Promise<{ ms: number; core?: Core }> {
  const start = Date.now();
  let core: Core | undefined;
  for (;;) {
    core = (await list(url)).find((c) => c.id === id);
    const done =
      expected === null
        ? !core
        : !!core &&
          Object.entries(expected).every(
            ([k, v]) => JSON.stringify(core![k]) === JSON.stringify(v),
          );
    if (done) return { ms: Date.now() - start, core };
    if (Date.now() - start > timeoutMs) {
      throw new Error(`${id}: not as expected after ${timeoutMs} ms: ${JSON.stringify(core)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('node-collector against real systemd-coredump and journald', () => {
  let host: CoredumpHost;
  let work: string;
  let crasher: string;
  let collector: SpawnedCollector;

  beforeAll(async () => {
    host = await startCoredumpHost();
    work = await mkdtemp(join(tmpdir(), 'koredump-real-'));
    crasher = await buildCrasher(work);
    // The built app, on the host's real coredump directory and journal, as in production.
    collector = await spawnBuiltCollector({ KOREDUMP_NODE_NAME: 'real-node' });
  }, 120_000);

  afterAll(async () => {
    await collector?.stop();
    await host?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lists a real crash within 1 s with its journal metadata, serves it byte for byte, and drops it when deleted', async () => {
    const result = await crash(crasher, { sizeMiB: 8, comm: 'kd-plain' });
    const id = basename(result.coreFile);
    const expected = {
      node: 'real-node',
      COREDUMP_PID: result.pid,
      COREDUMP_COMM: 'kd-plain',
      COREDUMP_SIGNAL: 11,
      COREDUMP_SIGNAL_NAME: 'SIGSEGV',
      COREDUMP_CMDLINE: result.journal.COREDUMP_CMDLINE, // journal-only: proves the entry was merged
      compression: 'zst',
      attribution: { source: 'none' },
    };
    const { ms, core } = await untilListed(collector.url, id, expected, 1000);
    expect(ms).toBeLessThanOrEqual(1000);
    expect(core).toMatchObject(expected);
    // The full record carries the journal's stack trace and /proc snapshots.
    const full = (await (
      await fetch(`${collector.url}/apiv1/cores/metadata/${id}`)
    ).json()) as Record<string, unknown>;
    expect(full.MESSAGE).toEqual(expect.stringContaining(`Process ${result.pid} (kd-plain)`));
    expect(full.COREDUMP_FILENAME).toBe(result.coreFile);
    expect(typeof full.COREDUMP_PROC_MAPS).toBe('string');

    const download = await fetch(`${collector.url}/apiv1/cores/download/${id}`);
    expect(download.status).toBe(200);
    expect(sha(Buffer.from(await download.arrayBuffer()))).toBe(
      sha(await readFile(result.coreFile)),
    );

    const dumped = join(work, 'dumped.core');
    await coredumpctlDump(result.pid, dumped);
    const decompressed = await fetch(`${collector.url}/apiv1/cores/download/${id}?decompress=true`);
    expect(decompressed.status).toBe(200);
    const body = Buffer.from(await decompressed.arrayBuffer());
    expect(body.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(sha(body)).toBe(sha(await readFile(dumped)));

    await unlink(result.coreFile);
    const gone = await untilListed(collector.url, id, null, 1000);
    expect(gone.ms).toBeLessThanOrEqual(1000);
    expect((await fetch(`${collector.url}/apiv1/cores/download/${id}`)).status).toBe(404);
  }, 60_000);

  it('derives pod UID and container ID from a real kubepods cgroup', async () => {
    const result = await crash(crasher, {
      comm: 'kd-pod',
      kubepods: { podUID: POD_UID, containerID: CID, qos: 'burstable' },
    });
    const expected = { COREDUMP_COMM: 'kd-pod', podUID: POD_UID, containerID: CID };
    const { core } = await untilListed(collector.url, basename(result.coreFile), expected, 1000);
    expect(core).toMatchObject(expected);
    await unlink(result.coreFile);
  }, 60_000);

  it('names namespace, pod and container from a real conmon parent', async () => {
    const result = await crash(crasher, {
      comm: 'kd-conmon',
      conmon: { name: `k8s_app_web-7_team-b_${POD_UID}_2`, cid: CID },
    });
    const expected = {
      namespace: 'team-b',
      pod: 'web-7',
      container: 'app',
      podUID: POD_UID,
      attribution: { source: 'conmon' },
    };
    const { core } = await untilListed(collector.url, basename(result.coreFile), expected, 1000);
    expect(core).toMatchObject(expected);
    await unlink(result.coreFile);
  }, 60_000);
});
