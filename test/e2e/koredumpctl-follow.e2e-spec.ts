import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';

import { sendJson } from '../support/aggregator.js';
import {
  CLI_BUNDLE,
  cliEnv,
  ensureCliBundle,
  startStubApi,
  type StubApi,
  type StubRequest,
} from '../support/koredumpctl.js';

const core = (n: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: `core.app${n}.0.b.${n}.${1_800_000_000_000_000 + n}.zst`,
  node: 'node-1',
  timestamp: 1_800_000_000_000 + n,
  COREDUMP_COMM: `app${n}`,
  COREDUMP_PID: n,
  COREDUMP_SIGNAL: 11,
  COREDUMP_SIGNAL_NAME: 'SIGSEGV',
  COREDUMP_TIMESTAMP: new Date(1_800_000_000_000 + n).toISOString(),
  namespace: 'team-a',
  ...extra,
});

/** Runs the bundled CLI until `done(stdout)`, then sends SIGINT; resolves with the outcome. */
async function follow(
  args: string[],
  done: (stdout: string) => boolean,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not done within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const check = (): void => {
      if (done(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  child.kill('SIGINT');
  return { code: await exited, stdout, stderr };
}

/**
 * `koredumpctl list --follow` against a stub API speaking SSE the way servers may: multi-line
 * data, comments, CRLF, a dropped connection, repeats after a resume, `updated` for a core first
 * seen without its namespace.
 */
describe('koredumpctl list --follow (bundled CLI, stub API)', () => {
  let api: StubApi;
  const watches: StubRequest[] = [];

  beforeAll(async () => {
    await ensureCliBundle();
    api = await startStubApi({
      'GET /apiv1/cores': (_req, res) => sendJson(res, 200, [core(1)]),
      'GET /apiv1/cores/watch': (req, res: ServerResponse) => {
        watches.push(req);
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        if (watches.length === 1) {
          // Pretty-printed JSON over several data lines, CRLF line ends, a comment; then a drop.
          const pretty = JSON.stringify(core(2), null, 2).split('\n');
          res.write(`retry: 100\r\n: heartbeat\r\n\r\nevent: added\r\nid: 41\r\n`);
          res.end(`${pretty.map((l) => `data: ${l}`).join('\r\n')}\r\n\r\n`);
          return;
        }
        // The resume: 2 again (at least once), 3 first without a namespace, then with it; 4
        // removed (not printed); 1 (already listed).
        res.write(`event: added\nid: 42\ndata: ${JSON.stringify(core(2))}\n\n`);
        res.write(
          `event: added\nid: 43\ndata: ${JSON.stringify(core(3, { namespace: undefined }))}\n\n`,
        );
        res.write(`event: updated\nid: 43\ndata: ${JSON.stringify(core(3))}\n\n`);
        res.write(`event: removed\nid: 43\ndata: ${JSON.stringify(core(4))}\n\n`);
        res.write(`event: added\nid: 43\ndata: ${JSON.stringify(core(1))}\n\n`);
      },
    });
  }, 120_000);

  afterAll(async () => {
    await api?.close();
  });

  it('prints the list, then each new core once as NDJSON, resuming with Last-Event-ID after a drop; exits 0 on SIGINT', async () => {
    const r = await follow(
      ['list', '--follow', '-o', 'json', '--server', api.url, 'namespace=team-a'],
      (out) => out.includes('app3'),
    );
    expect(r.code).toBe(0);
    const all = r.stdout.trimEnd();
    const arrayEnd = all.indexOf('\n]') + 2;
    expect(JSON.parse(all.slice(0, arrayEnd))).toEqual([core(1)]);
    const ndjson = all
      .slice(arrayEnd + 1)
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ndjson).toEqual([core(2), core(3)]);
    // The first watch starts a minute before the list was fetched; the second resumes at the
    // last id the server sent.
    expect(Number(watches[0].headers['last-event-id'])).toBeGreaterThan(Date.now() - 120_000);
    expect(watches[1].headers['last-event-id']).toBe('41');
    expect(watches[0].headers.accept).toBe('text/event-stream');
    expect(r.stderr).toMatch(/follow: the connection closed; reconnecting in 0.1 s/);
  }, 30_000);

  it('prints table rows without a header for followed cores', async () => {
    watches.length = 0;
    const r = await follow(['list', '-f', '-o', 'table', '--server', api.url], (out) =>
      out.includes('app3'),
    );
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    // One header (the list's), then one row per core: the followed ones without a header.
    expect(rows[0]).not.toMatch(/app\d/);
    expect(rows.slice(1).map((l) => /app\d/.exec(l)?.[0])).toEqual(['app1', 'app2', 'app3']);
  }, 30_000);

  it('gives up with the server error on a 401 (no retry loop)', async () => {
    api.routes.set('GET /apiv1/cores/watch', (_req, res) =>
      sendJson(res, 401, {
        statusCode: 401,
        error: 'Unauthorized',
        message: 'the token was not accepted',
      }),
    );
    const r = await follow(['list', '--follow', '--server', api.url], () => false);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/token was not accepted/);
  }, 30_000);
});
