import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { loadAggregatorConfig } from '../../apps/aggregator/src/aggregator.config.js';
import { CollectorClient } from '../../apps/aggregator/src/collectors/collector-client.js';
import { AggregatorMetrics } from '../../apps/aggregator/src/metrics/aggregator-metrics.js';
import { MetricsRegistry } from '@koredump/http';
import { NodeHealthRegistry } from '../../apps/aggregator/src/collectors/node-health.js';
import { CoresWatchService } from '../../apps/aggregator/src/cores/cores-watch.service.js';
import { CoresService } from '../../apps/aggregator/src/cores/cores.service.js';
import {
  CollectorDirectory,
  type DiscoveryStatus,
} from '../../apps/aggregator/src/discovery/collector-directory.js';
import type { CollectorTarget } from '../../apps/aggregator/src/discovery/collector-target.js';
import { startFakeCollector, type FakeCollector } from '../support/aggregator.js';
import { openSse } from '../support/sse-client.js';
import { until } from '../support/exec.js';

/** A directory the test changes, as pod discovery does when collector pods come and go. */
class ChangingDirectory extends CollectorDirectory {
  private targets: CollectorTarget[] = [];
  set(targets: CollectorTarget[]): void {
    this.targets = targets;
    this.changed();
  }
  all(): readonly CollectorTarget[] {
    return this.targets;
  }
  get(node: string): CollectorTarget | undefined {
    return this.targets.find((t) => t.node === node);
  }
  status(): DiscoveryStatus {
    return { mode: 'pods', synced: true, nodes: this.targets.length, ready: this.targets.length };
  }
}

/**
 * The aggregator's merged watch follows discovery: a collector that appears later is watched,
 * one that disappears is let go. The service runs on a real HTTP server against fake collectors
 * that speak SSE over real HTTP; only the directory is the test's.
 */
describe('aggregator watch and collector discovery', () => {
  const directory = new ChangingDirectory();
  let server: Server;
  let url: string;
  let a: FakeCollector;
  let b: FakeCollector;

  /** A collector that keeps each watch open and sends one `added` core named after its node. */
  const sseCollector = (node: string) => (req: IncomingMessage, res: ServerResponse) => {
    if (!(req.url ?? '').startsWith('/apiv1/cores/watch')) return res.end();
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write('id: 1\n\n');
    const record = { id: `core.${node}.0.b.1.1`, node: `${node}-as-it-calls-itself`, timestamp: 5 };
    res.write(`event: added\nid: 5\ndata: ${JSON.stringify(record)}\n\n`);
  };

  beforeAll(async () => {
    a = await startFakeCollector('127.0.0.1', sseCollector('a'));
    b = await startFakeCollector('127.0.0.1', sseCollector('b'));
    directory.set([{ node: 'node-a', url: a.url, ready: true, source: 'pod' }]);
    const config = {
      ...loadAggregatorConfig({ FAKE_K8S: '1', KOREDUMP_COLLECTORS: 'x=http://127.0.0.1:1' }),
      authDisabled: true,
      watchHeartbeatMs: 60_000,
    };
    const health = new NodeHealthRegistry();
    const metrics = new AggregatorMetrics(new MetricsRegistry({ enabled: false }), directory);
    const client = new CollectorClient(health, metrics);
    const cores = new CoresService(config, directory, client, health);
    const watch = new CoresWatchService(config, directory, cores);
    server = createServer((req, res) => watch.open({}, 'the-token', undefined, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await a?.close();
    await b?.close();
  });

  it('watches collectors that appear, lets go of those that disappear, passes the token on, tags the node', async () => {
    const client = await openSse(url);
    const fromA = await client.next((e) => e.json?.id === 'core.a.0.b.1.1');
    expect(fromA.json).toMatchObject({ node: 'node-a' });
    expect(a.requests[0].headers.authorization).toBe('Bearer the-token');
    expect(a.requests[0].headers.accept).toBe('text/event-stream');
    expect(b.requests).toEqual([]);

    directory.set([
      { node: 'node-a', url: a.url, ready: true, source: 'pod' },
      { node: 'node-b', url: b.url, ready: true, source: 'pod' },
    ]);
    const fromB = await client.next((e) => e.json?.id === 'core.b.0.b.1.1');
    expect(fromB.json).toMatchObject({ node: 'node-b' });
    // A collector found later starts where the client's stream started.
    expect(Number(b.requests[0].headers['last-event-id'])).toBeGreaterThan(0);

    // node-a's pod goes away: its upstream is closed.
    directory.set([{ node: 'node-b', url: b.url, ready: true, source: 'pod' }]);
    await until('node-a let go', () => a.aborted.length === 1);
    expect(b.aborted).toEqual([]);

    // The client leaves: every upstream is closed.
    client.close();
    await until('node-b let go', () => b.aborted.length === 1);
    expect(a.requests).toHaveLength(1);
  });
});
