import { Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { CollectorTarget } from '../discovery/collector-target.js';
import {
  CollectorClient,
  errorMessage,
  MAX_ERROR_BYTES,
  requestHeaders,
} from './collector-client.js';
import { CollectorCallError, type CollectorFailure } from './collector-failure.js';
import { NodeHealthRegistry } from './node-health.js';
import { RawHttpError, type RawResponse } from './raw-http.js';

/** Request headers passed on to the collector: conditionals and the byte range. */
export const FORWARDED_REQUEST_HEADERS = [
  'range',
  'if-range',
  'if-none-match',
  'if-modified-since',
] as const;

/**
 * Response headers passed back to the client (an allow-list: hop-by-hop headers such as
 * Connection, Keep-Alive, Transfer-Encoding never cross, nor anything else the collector sets).
 */
export const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'content-disposition',
  'etag',
  'last-modified',
  'accept-ranges',
  'cache-control',
  'x-content-type-options',
] as const;

/** Collector statuses streamed through as they are (the download's own protocol). */
const PASSED_THROUGH = new Set([200, 206, 304, 416]);

export interface DownloadRequest {
  target: CollectorTarget;
  /** Validated core id. */
  id: string;
  decompress: boolean;
  method: 'GET' | 'HEAD';
  token?: string;
  /** Deadline for the collector's response headers (the body has none). */
  headerTimeoutMs: number;
}

/**
 * One streamed proxy for core downloads: a single upstream request per download (no HEAD
 * first), conditionals and Range forwarded, 200/206/304/416 and their headers passed end to end,
 * backpressure (the next 1 MiB read from the collector waits until the client took the last one,
 * so memory stays flat whatever the size), the upstream request cancelled when the client goes
 * away, and the client connection destroyed when the upstream fails mid-stream, so a truncated
 * download can never look complete.
 */
@Injectable()
export class DownloadProxy {
  private readonly logger = new Logger('Download');

  constructor(
    private readonly client: CollectorClient,
    private readonly health: NodeHealthRegistry,
  ) {}

  /**
   * Streams the core to `res`. Rejects (before anything was sent) with a CollectorCallError for
   * the error answer to give; once headers are sent, failures end in a destroyed connection.
   */
  async send(req: IncomingMessage, res: ServerResponse, d: DownloadRequest): Promise<void> {
    const { target } = d;
    const fail = (failure: CollectorFailure): CollectorCallError => {
      this.health.failed(target.node, failure);
      return new CollectorCallError(target.node, failure);
    };
    if (!target.ready || !target.url) {
      throw fail({ kind: 'not-ready', reason: target.reason ?? 'collector not ready' });
    }
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string' && !/[\r\n\0]/.test(value)) headers[name] = value;
    }
    const path = `/apiv1/cores/download/${encodeURIComponent(d.id)}${d.decompress ? '?decompress=true' : ''}`;

    // Cancelled when the client disconnects (before or after the response started).
    const cancel = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) cancel.abort();
    };
    res.on('close', onClose);
    const headerTimer = setTimeout(() => cancel.abort(new Error('timeout')), d.headerTimeoutMs);
    let upstream: RawResponse;
    try {
      upstream = await this.client.openDownload(
        target.url,
        { method: d.method, path, headers: requestHeaders(d.token, headers) },
        cancel.signal,
      );
    } catch (err) {
      res.off('close', onClose);
      if (isTimeout(cancel.signal)) throw fail({ kind: 'timeout', ms: d.headerTimeoutMs });
      if (cancel.signal.aborted || res.destroyed) return; // the client left first
      const code = (err as NodeJS.ErrnoException).code;
      if (err instanceof RawHttpError && code?.startsWith('HPE_')) {
        throw fail({ kind: 'bad-answer', message: err.message });
      }
      throw fail({ kind: 'unreachable', code: code ?? (err as Error).message });
    } finally {
      clearTimeout(headerTimer);
    }

    if (!PASSED_THROUGH.has(upstream.status)) {
      res.off('close', onClose);
      const body = await upstream.readBody(MAX_ERROR_BYTES).catch(() => Buffer.alloc(0));
      throw fail({
        kind: 'http',
        status: upstream.status,
        message: errorMessage(body),
        wwwAuthenticate: upstream.headers['www-authenticate'],
      });
    }
    this.health.answered(target.node);

    const out: Record<string, string> = {};
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstream.headers[name];
      if (value !== undefined) out[canonical(name)] = value;
    }
    res.writeHead(upstream.status, out);
    res.flushHeaders();
    try {
      // Backpressure: the next read from the collector waits until the client took this one.
      await upstream.pipeBody((chunk, done) => {
        res.write(chunk, (err) => done(err));
      });
      await new Promise<void>((resolve) => res.end(resolve));
    } catch (err) {
      if (!cancel.signal.aborted && !res.destroyed) {
        const message = (err as Error).message;
        this.logger.warn(`node ${target.node}: download of ${d.id} cut off: ${message}`);
        this.health.failed(target.node, { kind: 'unreachable', code: `cut off (${message})` });
      }
      // Never a clean short body: the client must see the transfer break.
      res.destroy();
      upstream.destroy();
    } finally {
      res.off('close', onClose);
    }
  }
}

function isTimeout(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof Error && signal.reason.message === 'timeout';
}

/** `content-length` -> `Content-Length`, as the rest of our responses spell headers. */
function canonical(name: string): string {
  return name === 'etag'
    ? 'ETag'
    : name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}
