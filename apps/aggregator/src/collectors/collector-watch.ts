import { Logger } from '@nestjs/common';
import { SseParser } from '@koredump/sse';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

import { errorMessage, MAX_ERROR_BYTES, readBody, requestHeaders } from './collector-client.js';

/** What a collector's watch stream says happened to a core. */
export type WatchEventKind = 'added' | 'updated' | 'removed';
const KINDS = new Set<string>(['added', 'updated', 'removed']);

export interface CollectorWatchOptions {
  node: string;
  /** The collector's base URL (`http://host:port`). */
  url: string;
  /** The list filters to pass on (validated and rebuilt by the caller). */
  filters: URLSearchParams;
  /** Ask the first connection for the current cores (`initial=true`). */
  initial: boolean;
  /** Where the first connection resumes (Last-Event-ID), when set. */
  lastEventId?: string;
  /** The caller's token, passed on exactly as for the list (never logged). */
  token?: string;
  /** First and longest wait before reconnecting (doubling in between). */
  backoffMs: { initial: number; max: number };
  onEvent(kind: WatchEventKind, record: Record<string, unknown>): void;
}

/** TCP keepalive probes on upstream connections: a node gone without a FIN is noticed. */
const KEEPALIVE_MS = 15_000;

/**
 * One collector's /apiv1/cores/watch, followed for as long as the aggregator's client stays:
 * reconnects with backoff when the collector drops (restart, network) and resumes with the last
 * event id the collector sent, so cores announced meanwhile come again as `added`.
 */
export class CollectorWatch {
  private readonly logger = new Logger('CollectorWatch');
  private req?: ClientRequest;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private first = true;
  private lastEventId?: string;
  private delay: number;
  /** Connections that got a 200 stream (for tests and logs). */
  connections = 0;

  constructor(private readonly options: CollectorWatchOptions) {
    this.lastEventId = options.lastEventId;
    this.delay = options.backoffMs.initial;
  }

  get url(): string {
    return this.options.url;
  }

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.req?.destroy();
    this.req = undefined;
  }

  private connect(): void {
    if (this.stopped) return;
    const { node, url, filters, token } = this.options;
    const q = new URLSearchParams(filters);
    if (this.first && this.options.initial) q.set('initial', 'true');
    const qs = q.toString();
    const base = new URL(url);
    const headers = requestHeaders(token, {
      accept: 'text/event-stream',
      ...(this.lastEventId !== undefined ? { 'last-event-id': this.lastEventId } : {}),
    });
    const req = request({
      // One long-lived connection per stream: not the pooled agent of the JSON calls.
      agent: false,
      protocol: 'http:',
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port || 80,
      method: 'GET',
      path: `/apiv1/cores/watch${qs ? `?${qs}` : ''}`,
      headers,
    });
    this.req = req;
    req.on('socket', (s) => s.setKeepAlive(true, KEEPALIVE_MS));
    req.on('response', (res) => void this.onResponse(req, res));
    req.on('error', (err: NodeJS.ErrnoException) => {
      this.retry(req, `cannot watch node ${node}: ${err.code ?? err.message}`);
    });
    req.end();
  }

  private async onResponse(req: ClientRequest, res: IncomingMessage): Promise<void> {
    const { node } = this.options;
    if (res.statusCode !== 200) {
      const body = await readBody(res, MAX_ERROR_BYTES).catch(() => Buffer.alloc(0));
      this.retry(req, `node ${node} refused the watch: ${res.statusCode} ${errorMessage(body)}`);
      return;
    }
    this.first = false;
    this.connections++;
    this.delay = this.options.backoffMs.initial;
    const parser = new SseParser({
      event: (ev) => {
        this.lastEventId = ev.lastEventId;
        if (!KINDS.has(ev.event)) return;
        let record: unknown;
        try {
          record = JSON.parse(ev.data);
        } catch {
          return; // not a record: nothing to pass on
        }
        if (typeof record === 'object' && record !== null && !Array.isArray(record)) {
          this.options.onEvent(ev.event as WatchEventKind, record as Record<string, unknown>);
        }
      },
    });
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      try {
        parser.push(chunk);
        // An id without data (the collector's first frame) also moves the resume point.
        if (parser.lastId !== '') this.lastEventId = parser.lastId;
      } catch (err) {
        req.destroy(err as Error);
      }
    });
    res.on('close', () => this.retry(req, `node ${node}: the watch stream ended`));
  }

  /** Schedules the next connection (once per failed request). */
  private retry(req: ClientRequest, why: string): void {
    if (this.stopped || this.req !== req) return;
    this.req = undefined;
    req.destroy();
    this.logger.debug?.(`${why}; reconnecting in ${this.delay} ms`);
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.timer.unref();
    this.delay = Math.min(this.delay * 2, this.options.backoffMs.max);
  }
}
