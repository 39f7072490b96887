/**
 * Test support for the aggregator: the BUILT app as its own process, and small fake collectors
 * (a recorder, a hung one, a failing one) on loopback addresses (127.0.0.0/8 all works on Linux).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';

import { freePort } from './collector.js';

export interface SpawnedAggregator {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs the BUILT aggregator (`npm run build` first) on 127.0.0.1 and a free port; resolves once
 * /readyz answers 200 (or, with waitReady false, once it listens).
 */
export async function spawnBuiltAggregator(
  env: Record<string, string>,
  options: { waitReady?: boolean } = {},
): Promise<SpawnedAggregator> {
  const port = await freePort();
  const main = join(__dirname, '../../dist/apps/aggregator/src/main.js');
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NO_TOKENS: '1',
      FAKE_K8S: '1',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`aggregator exited with ${child.exitCode}:\n${out}`);
    }
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.ok || options.waitReady === false) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`aggregator not ready after 20 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
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

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
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
