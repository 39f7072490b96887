import { Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

import type { CollectorTarget } from '../discovery/collector-target.js';
import { CollectorClient, errorMessage, readBody, requestHeaders } from './collector-client.js';
import { CollectorCallError, type CollectorFailure } from './collector-failure.js';
import { NodeHealthRegistry } from './node-health.js';

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
 * backpressure through pipe (memory stays flat whatever the size), the upstream request
 * cancelled when the client goes away, and the client connection destroyed when the upstream
 * fails mid-stream, so a truncated download can never look complete.
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
    const headers: OutgoingHttpHeaders = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const path = `/apiv1/cores/download/${encodeURIComponent(d.id)}${d.decompress ? '?decompress=true' : ''}`;

    // Cancelled when the client disconnects (before or after the response started).
    const cancel = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) cancel.abort();
    };
    res.on('close', onClose);
    const headerTimer = setTimeout(() => cancel.abort(new Error('timeout')), d.headerTimeoutMs);
    let upstream: IncomingMessage;
    try {
      upstream = await this.client.open(target.url, {
        method: d.method,
        path,
        headers: requestHeaders(d.token, headers),
        pool: 'download',
        signal: cancel.signal,
      });
    } catch (err) {
      res.off('close', onClose);
      if (res.destroyed || (cancel.signal.aborted && !isTimeout(cancel.signal))) {
        return; // the client left before the collector answered
      }
      if (isTimeout(cancel.signal)) throw fail({ kind: 'timeout', ms: d.headerTimeoutMs });
      throw fail({
        kind: 'unreachable',
        code: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
      });
    } finally {
      clearTimeout(headerTimer);
    }

    const status = upstream.statusCode ?? 0;
    if (!PASSED_THROUGH.has(status)) {
      res.off('close', onClose);
      let body: Buffer;
      try {
        body = await readBody(upstream, 64 << 10);
      } catch {
        body = Buffer.alloc(0);
      }
      throw fail({
        kind: 'http',
        status,
        message: errorMessage(body),
        wwwAuthenticate: upstream.headers['www-authenticate'],
      });
    }
    this.health.answered(target.node);

    const out: Record<string, string | string[]> = {};
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstream.headers[name];
      if (value !== undefined) out[name] = value;
    }
    res.writeHead(status, out);
    if (d.method === 'HEAD' || status === 304) {
      upstream.resume();
      res.end();
      return;
    }
    res.flushHeaders();
    try {
      // Backpressure both ways: a slow client slows the collector, never fills our memory.
      await pipeline(upstream, res);
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
