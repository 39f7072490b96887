import { HttpException, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  Agent,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';

import type { CollectorTarget } from '../discovery/collector-target.js';
import { CollectorCallError, type CollectorFailure } from './collector-failure.js';
import { AggregatorMetrics } from '../metrics/aggregator-metrics.js';
import { NodeHealthRegistry } from './node-health.js';
import { RawHttpPool, type RawRequest, type RawResponse } from './raw-http.js';

/** Largest JSON answer read from a collector (a list of ~300,000 cores). */
const MAX_JSON_BYTES = 256 << 20;
/** Dead kept-alive connections skipped before a request counts as failed. */
const MAX_REUSE_RETRIES = 4;
/** Largest error body read to find its message. */
export const MAX_ERROR_BYTES = 64 << 10;
/** Read buffer of each download connection (the unit the relay moves data in). */
export const DOWNLOAD_BUFFER_BYTES = 1 << 20;

export interface CallOptions {
  /** The caller's bearer token, passed on to the collector (undefined: none, NO_TOKENS=1). */
  token?: string;
  /** Aborted when the aggregator's own client has gone away. */
  signal?: AbortSignal;
  /** Deadline of the whole exchange. */
  timeoutMs: number;
  /** The per-node deadline this call is part of, as a timeout names it (default timeoutMs). */
  deadlineMs?: number;
}

export interface OpenOptions {
  method: 'GET' | 'HEAD';
  path: string;
  headers: OutgoingHttpHeaders;
  signal?: AbortSignal;
}

/**
 * Thrown when the aggregator's own client disconnected: nobody is left to answer (499, nginx's
 * "client closed request"; an HttpException so it is not logged as a failure).
 */
export class CallerGoneError extends HttpException {
  constructor() {
    super('client closed request', 499);
  }
}

function errorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? 'error';
}

/** The `message` of a collector's error body `{statusCode, error, message}`, else its text. */
export function errorMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** Reads a body up to `max` bytes; rejects when it is longer. */
export function readBody(res: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    res.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > max) {
        res.destroy(new Error(`answer larger than ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks, length)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('answer cut short')));
  });
}

/**
 * HTTP to the collectors over keep-alive connections: a node:http Agent for the JSON calls (each
 * with a deadline), the raw relay pool for downloads. Nothing here ever builds a URL from user
 * input: targets come from discovery, paths from validated parameters.
 */
@Injectable()
export class CollectorClient implements OnApplicationShutdown {
  private readonly agent = new Agent({
    keepAlive: true,
    maxSockets: 64,
    maxFreeSockets: 16,
    scheduling: 'lifo',
  });
  private readonly downloads = new RawHttpPool({
    bufferSize: DOWNLOAD_BUFFER_BYTES,
    maxIdlePerHost: 4,
    idleTimeoutMs: 4000,
  });

  constructor(
    private readonly health: NodeHealthRegistry,
    private readonly metrics: AggregatorMetrics,
  ) {}

  onApplicationShutdown(): void {
    this.agent.destroy();
    this.downloads.destroy();
  }

  /** Sends a download request on a kept-alive relay connection; resolves with the head. */
  openDownload(base: string, req: RawRequest, signal?: AbortSignal): Promise<RawResponse> {
    return this.downloads.request(new URL(base), req, signal);
  }

  /**
   * Sends a request and resolves with the response once its headers arrive. A request on a
   * reused keep-alive connection that the collector had closed meanwhile (a restart: every idle
   * connection is dead) is sent again on another one (idempotent GET, nothing received yet).
   */
  open(base: string, options: OpenOptions): Promise<IncomingMessage> {
    const url = new URL(base);
    const attempt = (retries: number): Promise<IncomingMessage> =>
      new Promise((resolve, reject) => {
        const req = request({
          agent: this.agent,
          protocol: 'http:',
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port || 80,
          method: options.method,
          path: options.path,
          headers: options.headers,
          signal: options.signal,
        });
        req.on('response', resolve);
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (
            retries > 0 &&
            req.reusedSocket &&
            (err.code === 'ECONNRESET' || err.code === 'EPIPE') &&
            !options.signal?.aborted
          ) {
            resolve(attempt(retries - 1));
          } else reject(err);
        });
        req.end();
      });
    return attempt(MAX_REUSE_RETRIES);
  }

  /**
   * GET of a JSON document from a node's collector within the deadline. Rejects with a
   * CollectorCallError (not ready, timeout, unreachable, HTTP error, unusable answer) or
   * CallerGoneError. Records the outcome in the node's health.
   */
  async getJson(target: CollectorTarget, path: string, options: CallOptions): Promise<unknown> {
    const body = await this.getBody(target, path, options);
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      const failure: CollectorFailure = { kind: 'bad-answer', message: 'not JSON' };
      this.health.failed(target.node, failure);
      this.metrics.nodeCallError(target.node, failure); // its duration was already observed
      throw new CollectorCallError(target.node, failure);
    }
  }

  /** Like getJson, but the 200 answer's bytes as they came (the list: scanned, not parsed). */
  async getBody(target: CollectorTarget, path: string, options: CallOptions): Promise<Buffer> {
    const start = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
    try {
      const result = await this.getBodyOnce(target, path, options);
      this.health.answered(target.node);
      this.metrics.nodeCall(target.node, seconds());
      return result;
    } catch (err) {
      if (err instanceof CollectorCallError) {
        this.health.failed(target.node, err.failure);
        this.metrics.nodeCall(target.node, seconds(), err.failure);
      }
      throw err;
    }
  }

  private async getBodyOnce(
    target: CollectorTarget,
    path: string,
    options: CallOptions,
  ): Promise<Buffer> {
    const fail = (failure: CollectorFailure): CollectorCallError =>
      new CollectorCallError(target.node, failure);
    if (!target.ready || !target.url) {
      throw fail({ kind: 'not-ready', reason: target.reason ?? 'collector not ready' });
    }
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let status: number;
    let headers: IncomingHttpHeaders;
    let body: Buffer;
    try {
      const res = await this.open(target.url, {
        method: 'GET',
        path,
        headers: requestHeaders(options.token, { accept: 'application/json' }),
        signal,
      });
      status = res.statusCode ?? 0;
      headers = res.headers;
      body = await readBody(res, status === 200 ? MAX_JSON_BYTES : MAX_ERROR_BYTES);
    } catch (err) {
      if (options.signal?.aborted) throw new CallerGoneError();
      if (timeout.aborted) {
        throw fail({ kind: 'timeout', ms: options.deadlineMs ?? options.timeoutMs });
      }
      throw fail({ kind: 'unreachable', code: errorCode(err) });
    }
    if (status !== 200) {
      throw fail({
        kind: 'http',
        status,
        message: errorMessage(body),
        wwwAuthenticate: headers['www-authenticate'],
      });
    }
    return body;
  }
}

/** Headers of every request to a collector: the caller's token (never logged) and ours. */
export function requestHeaders(
  token: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'user-agent': 'koredump-aggregator',
    ...extra,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}
