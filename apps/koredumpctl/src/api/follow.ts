import { SseParser } from '@koredump/sse';

import type { CoreRecord } from '../core-record.js';
import { CliError } from '../errors.js';
import type { ApiClient } from './api-client.js';

/** Reconnection delay until the server suggests one (SSE `retry:`). */
const DEFAULT_RETRY_MS = 2000;
/** Cores remembered to drop repeats (a resume re-sends at least once); oldest forgotten first. */
const MAX_REMEMBERED = 10_000;

export interface FollowOptions {
  /** The server-side filters (the list's, without limit). */
  query: Record<string, string>;
  /** Where to start: the watch resends every matching core that crashed at or after this (ms). */
  resumeFrom: number;
  /** Cores already shown (node/id), so they are not printed twice. */
  seen: Iterable<CoreRecord>;
  /** Called for each new core, in arrival order; false when it was not shown (filtered out). */
  onCore(core: CoreRecord): boolean;
  /** Aborted on Ctrl-C: following ends without error. */
  signal: AbortSignal;
  log(msg: string): void;
  warn(msg: string): void;
}

class Refused extends Error {
  constructor(readonly error: CliError) {
    super(error.message);
  }
}

const keyOf = (c: CoreRecord): string => `${String(c.node ?? '')}/${c.id}`;

/**
 * `list --follow`: GET /apiv1/cores/watch, printing each new core once (its first `added` or
 * `updated` event that passes the filters). The connection is
 * opened again when it drops (server restart, network), after the server's `retry:` delay, with
 * `Last-Event-ID` so the cores announced meanwhile come again; 4xx answers end it with an error.
 */
export async function followCores(api: ApiClient, opts: FollowOptions): Promise<void> {
  const seen = new Set<string>();
  const remember = (c: CoreRecord): void => {
    seen.add(keyOf(c));
    if (seen.size > MAX_REMEMBERED) seen.delete(seen.values().next().value as string);
  };
  for (const c of opts.seen) remember(c);
  let lastEventId = String(opts.resumeFrom);
  let retryMs = DEFAULT_RETRY_MS;
  while (!opts.signal.aborted) {
    let problem: string | undefined;
    try {
      const res = await api.watchCores(opts.query, lastEventId, opts.signal);
      const status = res.statusCode ?? 0;
      // A refusal (400, 401, 403, 404) does not get better by retrying.
      if (status >= 400 && status < 500) {
        throw new Refused(await api.failure(res, { what: 'watch cores' }));
      }
      if (status !== 200) {
        problem = `the server answered ${status}`;
        res.resume();
      } else {
        const parser = new SseParser({
          retry: (ms) => (retryMs = ms),
          event: (ev) => {
            lastEventId = ev.lastEventId || lastEventId;
            if (ev.event === 'error') {
              problem = `the server ended the stream: ${ev.data}`;
              return;
            }
            // `updated` too: a core may only match (namespace, pod) once its journal entry named
            // its pod, and a core seen before is not shown again.
            if (ev.event !== 'added' && ev.event !== 'updated') return;
            let core: CoreRecord;
            try {
              core = JSON.parse(ev.data) as CoreRecord;
            } catch {
              return;
            }
            if (typeof core?.id !== 'string' || seen.has(keyOf(core))) return;
            // Remembered once shown: a core filtered out now may match when its pod is known.
            if (opts.onCore(core)) remember(core);
          },
        });
        res.setEncoding('utf8');
        await new Promise<void>((resolve) => {
          res.on('data', (chunk: string) => {
            parser.push(chunk);
            if (parser.lastId) lastEventId = parser.lastId;
          });
          res.on('close', resolve);
          res.on('error', () => resolve());
        });
        problem ??= 'the connection closed';
      }
    } catch (err) {
      if (opts.signal.aborted) return;
      if (err instanceof Refused) throw err.error;
      problem = (err as Error).message; // the network: try again
    }
    if (opts.signal.aborted) return;
    opts.warn(`follow: ${problem}; reconnecting in ${retryMs / 1000} s`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, retryMs);
      opts.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
