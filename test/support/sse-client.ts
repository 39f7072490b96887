/**
 * A real SSE client for the e2e tests: node:http + the spec parser of @koredump/sse. Collects
 * every event and comment with its arrival time, and waits for the ones a test expects.
 */
import { SseParser, type ParsedSseEvent } from '@koredump/sse';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface ReceivedEvent extends ParsedSseEvent {
  /** Date.now() when the event was parsed. */
  at: number;
  /** `data` parsed as JSON (undefined when it is not JSON). */
  json?: Record<string, unknown>;
}

export interface SseConnection {
  status: number;
  headers: IncomingHttpHeaders;
  /** The error body of a non-200 answer. */
  body?: string;
  events: ReceivedEvent[];
  comments: { text: string; at: number }[];
  retry?: number;
  /** The parser's last event id (what to send as Last-Event-ID). */
  lastEventId(): string;
  /** Whether the server ended the stream. */
  ended(): boolean;
  /** Resolves with the first event (from index `from`) matching `pred`; rejects after `timeoutMs`. */
  next(
    pred: (e: ReceivedEvent) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<ReceivedEvent>;
  /** Resolves when the server has closed the stream. */
  closed(timeoutMs?: number): Promise<void>;
  close(): void;
  response: IncomingMessage;
}

export function openSse(
  url: string,
  opts: { headers?: Record<string, string>; lastEventId?: string } = {},
): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        accept: 'text/event-stream',
        ...opts.headers,
        ...(opts.lastEventId !== undefined ? { 'last-event-id': opts.lastEventId } : {}),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const events: ReceivedEvent[] = [];
      const comments: { text: string; at: number }[] = [];
      let ended = false;
      const waiters = new Set<() => void>();
      const wake = (): void => {
        for (const w of [...waiters]) w();
      };
      const parser = new SseParser({
        event: (e) => {
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(e.data) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          events.push({ ...e, at: Date.now(), json });
          wake();
        },
        comment: (text) => {
          comments.push({ text, at: Date.now() });
          wake();
        },
        retry: (ms) => (conn.retry = ms),
      });
      const conn: SseConnection = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        response: res,
        lastEventId: () => parser.lastId,
        ended: () => ended,
        next: (pred, timeoutMs = 5000, from = 0) =>
          new Promise((ok, fail) => {
            const check = (): boolean => {
              const found = events.slice(from).find(pred);
              if (found) {
                cleanup();
                ok(found);
                return true;
              }
              if (ended) {
                cleanup();
                fail(new Error(`stream ended without the event (${events.length} events)`));
                return true;
              }
              return false;
            };
            const timer = setTimeout(() => {
              cleanup();
              fail(
                new Error(
                  `no matching event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => [e.event, e.json?.id]))}`,
                ),
              );
            }, timeoutMs);
            const cleanup = (): void => {
              clearTimeout(timer);
              waiters.delete(waiter);
            };
            const waiter = (): void => void check();
            if (!check()) waiters.add(waiter);
          }),
        closed: (timeoutMs = 5000) =>
          new Promise((ok, fail) => {
            if (ended) return ok();
            const timer = setTimeout(() => fail(new Error('stream still open')), timeoutMs);
            res.once('close', () => {
              clearTimeout(timer);
              ok();
            });
          }),
        close: () => {
          req.destroy();
          res.destroy();
        },
      };
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ ...conn, body }));
        return;
      }
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('close', () => {
        ended = true;
        wake();
      });
      resolve(conn);
    });
    req.end();
  });
}
