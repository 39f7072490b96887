import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { RawHttpPool, type RawResponse } from './raw-http.js';

const DATA = randomBytes(3 << 20);

describe('RawHttpPool (the download relay client) against node:http', () => {
  let server: Server;
  let origin: URL;
  let pool: RawHttpPool;
  const connections: Socket[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    server.on('connection', (s: Socket) => connections.push(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterEach(() => pool?.destroy());
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  const newPool = (bufferSize = 64 << 10): RawHttpPool =>
    (pool = new RawHttpPool({ bufferSize, maxIdlePerHost: 2, idleTimeoutMs: 2000 }));

  /** Reads the body through pipeBody with asynchronous writes (as the relay does). */
  async function body(res: RawResponse): Promise<Buffer> {
    const parts: Buffer[] = [];
    await res.pipeBody((chunk, done) => {
      parts.push(Buffer.from(chunk));
      setImmediate(done);
    });
    return Buffer.concat(parts);
  }

  it('reads a Content-Length body exactly, and reuses the kept-alive connection', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Length': DATA.length, ETag: '"x"' });
      res.end(DATA);
    };
    newPool();
    const before = connections.length;
    for (let i = 0; i < 3; i++) {
      const res = await pool.request(origin, { method: 'GET', path: '/a', headers: {} });
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe('"x"');
      expect((await body(res)).equals(DATA)).toBe(true);
    }
    expect(connections.length - before).toBe(1);
  });

  it('decodes a chunked body of any chunk sizes', async () => {
    const sizes = [1, 2, 3, 4096, 65535, 65536, 65537, 1 << 20, 7];
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      let off = 0;
      for (const n of sizes) {
        res.write(DATA.subarray(off, off + n));
        off += n;
      }
      res.end();
    };
    newPool(4096);
    const res = await pool.request(origin, { method: 'GET', path: '/c', headers: {} });
    const expected = DATA.subarray(
      0,
      sizes.reduce((a, b) => a + b, 0),
    );
    expect((await body(res)).equals(expected)).toBe(true);
    // Synchronous writes (readBody) work as well.
    const again = await pool.request(origin, { method: 'GET', path: '/c', headers: {} });
    expect((await again.readBody(10 << 20)).equals(expected)).toBe(true);
  });

  it('answers HEAD, 304 and empty bodies without waiting for a body', async () => {
    handler = (req, res) => {
      if (req.url === '/304') {
        res.writeHead(304, { ETag: '"x"' });
        return res.end();
      }
      if (req.url === '/empty') {
        res.writeHead(200, { 'Content-Length': 0 });
        return res.end();
      }
      res.writeHead(200, { 'Content-Length': 100 });
      res.end(req.method === 'HEAD' ? undefined : Buffer.alloc(100));
    };
    newPool();
    const head = await pool.request(origin, { method: 'HEAD', path: '/h', headers: {} });
    expect(head.headers['content-length']).toBe('100');
    expect((await body(head)).length).toBe(0);
    const nm = await pool.request(origin, { method: 'GET', path: '/304', headers: {} });
    expect(nm.status).toBe(304);
    expect((await body(nm)).length).toBe(0);
    const empty = await pool.request(origin, { method: 'GET', path: '/empty', headers: {} });
    expect((await body(empty)).length).toBe(0);
  });

  it('sends the request headers it is given, and refuses CR/LF in them', async () => {
    let seen: IncomingMessage['headers'] = {};
    handler = (req, res) => {
      seen = req.headers;
      res.writeHead(200, { 'Content-Length': 0 });
      res.end();
    };
    newPool();
    await body(
      await pool.request(origin, {
        method: 'GET',
        path: '/h',
        headers: { range: 'bytes=0-9', authorization: 'Bearer t' },
      }),
    );
    expect(seen).toMatchObject({ range: 'bytes=0-9', authorization: 'Bearer t' });
    await expect(
      pool.request(origin, { method: 'GET', path: '/', headers: { range: 'a\r\nX-Evil: 1' } }),
    ).rejects.toThrow(/invalid header/);
  });

  it('rejects a body cut short, and retries a request on a connection closed while idle', async () => {
    handler = (req, res) => {
      if (req.url === '/cut') {
        res.writeHead(200, { 'Content-Length': DATA.length });
        res.write(DATA.subarray(0, 1000));
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      res.writeHead(200, { 'Content-Length': 5 });
      res.end('hello');
    };
    newPool();
    const cut = await pool.request(origin, { method: 'GET', path: '/cut', headers: {} });
    await expect(body(cut)).rejects.toThrow();
    const ok = await pool.request(origin, { method: 'GET', path: '/ok', headers: {} });
    expect((await body(ok)).toString()).toBe('hello');
    // The server closes its idle side; the pool notices or retries on a fresh connection.
    for (const s of connections) s.destroy();
    const again = await pool.request(origin, { method: 'GET', path: '/ok', headers: {} });
    expect((await body(again)).toString()).toBe('hello');
  });

  it('gives up waiting for the head when aborted', async () => {
    handler = () => undefined; // never answers
    newPool();
    const controller = new AbortController();
    const pending = pool.request(
      origin,
      { method: 'GET', path: '/hang', headers: {} },
      controller.signal,
    );
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow(/aborted/);
  });
});
