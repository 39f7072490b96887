/**
 * Test support for the aggregator: the BUILT app as its own process, and small fake collectors
 * (a recorder, a hung one, a failing one) on loopback addresses (127.0.0.0/8 all works on Linux).
 */
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';

import { freePort, spawnBuiltApp, type SpawnedApp } from './built-app.js';

export type SpawnedAggregator = SpawnedApp;

/** Runs the BUILT aggregator (see spawnBuiltApp). */
export function spawnBuiltAggregator(
  env: Record<string, string>,
  options: { waitReady?: boolean } = {},
): Promise<SpawnedAggregator> {
  return spawnBuiltApp('aggregator', env, options);
}

export interface RecordedCall {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface FakeCollector {
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedCall[];
  /** Requests whose connection closed before the answer was complete, by URL. */
  aborted: string[];
  server: Server;
  close(): Promise<void>;
}

/**
 * An HTTP server standing in for a collector: records every request, then lets `handle` answer.
 * By default it answers like an empty, healthy collector.
 */
export async function startFakeCollector(
  host: string,
  handle: (req: IncomingMessage, res: ServerResponse) => void = answerEmpty,
  port = 0,
): Promise<FakeCollector> {
  const requests: RecordedCall[] = [];
  const aborted: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.on('close', () => {
      if (!res.writableFinished) aborted.push(req.url ?? '');
    });
    handle(req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(port, host);
  await once(server, 'listening');
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    requests,
    aborted,
    server,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Answers `body` as JSON, the way the apps do (plus any extra `headers`). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A healthy collector with no cores. */
export function answerEmpty(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/apiv1/cores') return sendJson(res, 200, []);
  if (path === '/readyz') {
    return sendJson(res, 200, { status: 'ok', info: { coreDir: { status: 'up', cores: 0 } } });
  }
  if (path === '/openapi.json') return sendJson(res, 200, { info: { version: 'fake-1' } });
  sendJson(res, 404, { statusCode: 404, error: 'Not Found', message: `fake: ${path} not found` });
}

export interface HungServer {
  url: string;
  /** Connections accepted so far. */
  connections: () => number;
  /** Connections currently open. */
  open: () => number;
  close(): Promise<void>;
}

/** A TCP server that accepts connections and never answers (a hung collector). */
export async function startHungServer(host: string, port = 0): Promise<HungServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createNetServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.resume(); // read and drop the request, so the client closing is seen
  });
  server.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    connections: () => accepted,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A URL where nothing listens (connection refused). */
export async function deadUrl(host: string): Promise<string> {
  return `http://${host}:${await freePort(host)}`;
}
