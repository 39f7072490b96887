import { afterEach, describe, expect, it } from '@jest/globals';
import { SseParser, type ParsedSseEvent } from '@koredump/sse';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SseStream } from './sse-stream.js';

/** A real HTTP server whose one route is an SseStream the test drives. */
async function serve(
  options: ConstructorParameters<typeof SseStream>[1],
): Promise<{ server: Server; url: string; stream: () => Promise<SseStream> }> {
  const streams: SseStream[] = [];
  const waiting: ((s: SseStream) => void)[] = [];
  const server = createServer((_req, res) => {
    const s = new SseStream(res, options);
    const w = waiting.shift();
    if (w) w(s);
    else streams.push(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/`,
    stream: () =>
      streams.length > 0
        ? Promise.resolve(streams.shift()!)
        : new Promise((resolve) => waiting.push(resolve)),
  };
}

function get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

describe('SseStream', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('sends the headers, the first id and retry, events in order, heartbeats and a closing error', async () => {
    const srv = await serve({ heartbeatMs: 50, maxQueuedFrames: 10, retryMs: 1234, firstId: '7' });
    servers.push(srv.server);
    const res = await get(srv.url);
    const stream = await srv.stream();
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['x-accel-buffering']).toBe('no');
    const events: ParsedSseEvent[] = [];
    const comments: string[] = [];
    let retry = 0;
    const parser = new SseParser({
      event: (e) => events.push(e),
      comment: (c) => comments.push(c),
      retry: (ms) => (retry = ms),
    });
    res.setEncoding('utf8');
    res.on('data', (d: string) => parser.push(d));
    stream.send({ event: 'added', id: '8', data: '{"a":1}' });
    stream.send({ event: 'removed', data: 'x\ny' });
    await new Promise((r) => setTimeout(r, 180));
    stream.close('bye');
    await once(res, 'end');
    expect(retry).toBe(1234);
    expect(events).toEqual([
      { event: 'added', data: '{"a":1}', lastEventId: '8' },
      { event: 'removed', data: 'x\ny', lastEventId: '8' },
      { event: 'error', data: '{"message":"bye"}', lastEventId: '8' },
    ]);
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(new Set(comments)).toEqual(new Set(['heartbeat']));
  });

  it('drops a client that does not read once its queue is full, and frees everything', async () => {
    const srv = await serve({ heartbeatMs: 10_000, maxQueuedFrames: 20, retryMs: 1000 });
    servers.push(srv.server);
    const res = await get(srv.url);
    res.pause(); // never reads: the socket buffers fill up
    const stream = await srv.stream();
    let closed = false;
    stream.onClose(() => (closed = true));
    const big = 'x'.repeat(256 << 10);
    let sent = 0;
    while (!stream.closed && sent < 10_000) {
      stream.send({ event: 'added', data: big });
      sent++;
    }
    expect(stream.closed).toBe(true);
    // A few MiB reach the socket buffers; the rest is never held: at most maxQueuedFrames.
    expect(sent).toBeLessThan(200);
    expect(stream.queued).toBe(0);
    // The server side is over (ended, or destroyed after the grace period): close handlers ran.
    await new Promise<void>((resolve) => {
      const check = (): void => (closed ? resolve() : void setTimeout(check, 50));
      check();
    });
    expect(closed).toBe(true);
  }, 10_000);

  it('drained() waits until the socket has taken every queued frame', async () => {
    const srv = await serve({ heartbeatMs: 10_000, maxQueuedFrames: 1000, retryMs: 1000 });
    servers.push(srv.server);
    const res = await get(srv.url);
    const stream = await srv.stream();
    const big = 'y'.repeat(1 << 20);
    for (let i = 0; i < 8; i++) stream.send({ data: big });
    expect(stream.queued).toBeGreaterThan(0);
    let drained = false;
    const done = stream.drained().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(drained).toBe(false); // nobody reads yet
    res.resume();
    await done;
    expect(stream.queued).toBe(0);
    stream.close();
  });
});
