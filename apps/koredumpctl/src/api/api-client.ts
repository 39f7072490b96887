import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

import type { CoreRecord } from '../core-record.js';
import type { CrashGroupRecord } from '../format/groups.js';
import { CliError } from '../errors.js';
import { USER_AGENT } from '../version.js';
import {
  httpFailure,
  networkFailure,
  warningText,
  type ErrorBody,
  type RequestSubject,
} from './api-error.js';
import { apiUrl, type Endpoint } from './endpoint.js';

export interface RequestOptions {
  method?: 'GET' | 'HEAD';
  query?: Record<string, string>;
  headers?: OutgoingHttpHeaders;
  /** Socket idle timeout; JSON calls fail after this long without data. */
  idleTimeoutMs?: number;
  /** Aborts the request (and its response). */
  signal?: AbortSignal;
}

export interface CoreList {
  cores: CoreRecord[];
  /** Texts of `Warning` headers: nodes left out of a partial answer. */
  warnings: string[];
}

const JSON_IDLE_TIMEOUT_MS = 30_000;
/** A watch stream is given up (and opened again) after this long without a byte: the servers
 * send a heartbeat every 15 s by default. */
export const WATCH_IDLE_TIMEOUT_MS = 90_000;
/** Downloads only fail when no byte arrives for this long (a slow link is fine). */
export const DOWNLOAD_IDLE_TIMEOUT_MS = 120_000;

const enc = encodeURIComponent;

/**
 * The koredump API over node:http/https: JSON calls and streamed downloads (a response body is
 * handed over as a stream, never buffered whole). Every request carries the endpoint's token
 * header(s) and `User-Agent: koredumpctl/<version>`; failures become CliErrors that say what to do.
 */
export class ApiClient {
  constructor(
    readonly endpoint: Endpoint,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  /** Sends a request and resolves with the response (any status), or rejects on network failure. */
  send(path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const url = apiUrl(this.endpoint.base, path, opts.query);
    const method = opts.method ?? 'GET';
    const started = Date.now();
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method,
        signal: opts.signal,
        ...this.endpoint.tls,
        headers: {
          'User-Agent': USER_AGENT,
          Accept: 'application/json',
          ...this.endpoint.headers,
          ...opts.headers,
        },
      });
      req.setTimeout(opts.idleTimeoutMs ?? JSON_IDLE_TIMEOUT_MS, () => {
        req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
      });
      req.on('response', (res) => {
        this.log(`${method} ${url.href} -> ${res.statusCode} (${Date.now() - started} ms)`);
        resolve(res);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        this.log(`${method} ${url.href} -> ${err.code ?? err.message}`);
        reject(networkFailure(err, url.href, this.endpoint));
      });
      req.end();
    });
  }

  /** Reads a whole (small) body as text. */
  static async text(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The error a non-2xx response stands for (consumes its body). */
  async failure(res: IncomingMessage, subject: RequestSubject): Promise<CliError> {
    let body: ErrorBody | undefined;
    try {
      const text = await ApiClient.text(res);
      body = text ? (JSON.parse(text) as ErrorBody) : undefined;
    } catch {
      body = undefined;
    }
    return httpFailure(res.statusCode ?? 0, body, this.endpoint, subject);
  }

  /** GET a JSON document; non-2xx answers reject with a CliError. */
  async json<T>(
    path: string,
    subject: RequestSubject,
    query?: Record<string, string>,
  ): Promise<{ body: T; res: IncomingMessage }> {
    const res = await this.send(path, { query });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw await this.failure(res, subject);
    let text: string;
    try {
      text = await ApiClient.text(res);
    } catch (err) {
      throw networkFailure(
        err as NodeJS.ErrnoException,
        apiUrl(this.endpoint.base, path).href,
        this.endpoint,
      );
    }
    try {
      return { body: JSON.parse(text) as T, res };
    } catch {
      throw new CliError(
        `${subject.what}: the answer from ${this.endpoint.description} is not JSON (is it the koredump API?): ${text.slice(0, 120)}`,
      );
    }
  }

  /** `GET /apiv1/cores`: the cores, oldest first, plus warnings of a partial answer. */
  async listCores(query: Record<string, string> = {}): Promise<CoreList> {
    const { body, res } = await this.json<unknown>('/apiv1/cores', { what: 'list cores' }, query);
    if (!Array.isArray(body)) {
      throw new CliError(`list cores: expected a JSON array from ${this.endpoint.description}`);
    }
    const cores = body.filter(
      (c): c is CoreRecord =>
        !!c && typeof c === 'object' && typeof (c as CoreRecord).id === 'string',
    );
    return { cores, warnings: warningText(res.headers.warning) };
  }

  /** `GET /apiv1/crashgroups`: cores grouped by crash signature, plus partial-answer warnings. */
  async crashGroups(
    query: Record<string, string> = {},
  ): Promise<{ groups: CrashGroupRecord[]; warnings: string[] }> {
    const { body, res } = await this.json<unknown>(
      '/apiv1/crashgroups',
      { what: 'list crash groups' },
      query,
    );
    if (!Array.isArray(body)) {
      throw new CliError(
        `list crash groups: expected a JSON array from ${this.endpoint.description}`,
      );
    }
    const groups = body.filter(
      (g): g is CrashGroupRecord =>
        !!g && typeof g === 'object' && typeof (g as CrashGroupRecord).signature === 'string',
    );
    return { groups, warnings: warningText(res.headers.warning) };
  }

  /** `GET /apiv1/cores/watch`: the raw event stream response (any status). */
  watchCores(
    query: Record<string, string>,
    lastEventId: string | undefined,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    return this.send('/apiv1/cores/watch', {
      query,
      headers: {
        Accept: 'text/event-stream',
        ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}),
      },
      idleTimeoutMs: WATCH_IDLE_TIMEOUT_MS,
      signal,
    });
  }

  /** `GET /apiv1/cores/metadata/:node/:id`: the full record. */
  async metadata(node: string, id: string): Promise<CoreRecord> {
    const { body } = await this.json<CoreRecord>(`/apiv1/cores/metadata/${enc(node)}/${enc(id)}`, {
      what: `metadata of ${id}`,
      node,
      id,
    });
    return body;
  }

  /** `GET /apiv1/nodes`: every collector's status (shape read by parseNodes). */
  async nodes(): Promise<unknown> {
    return (await this.json<unknown>('/apiv1/nodes', { what: 'node status' })).body;
  }

  /** The API's version from its OpenAPI document (public), or undefined when it has none. */
  async apiVersion(): Promise<string | undefined> {
    const res = await this.send('/openapi.json');
    const text = await ApiClient.text(res).catch(() => '');
    if ((res.statusCode ?? 0) >= 300) return undefined;
    try {
      const v = (JSON.parse(text) as { info?: { version?: unknown } }).info?.version;
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** `GET|HEAD /apiv1/cores/download/:node/:id`, the raw response (streamed, any status). */
  download(
    node: string,
    id: string,
    opts: { decompress?: boolean; headers?: OutgoingHttpHeaders; method?: 'GET' | 'HEAD' } = {},
  ): Promise<IncomingMessage> {
    return this.send(`/apiv1/cores/download/${enc(node)}/${enc(id)}`, {
      method: opts.method,
      query: opts.decompress ? { decompress: 'true' } : undefined,
      headers: { Accept: '*/*', ...opts.headers },
      idleTimeoutMs: DOWNLOAD_IDLE_TIMEOUT_MS,
    });
  }
}
