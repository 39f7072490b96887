import { Injectable } from '@nestjs/common';
import { METRIC_PREFIX, MetricsRegistry } from '@koredump/http';
import { Counter, Gauge, Histogram } from 'prom-client';

import type { CollectorFailure } from '../collectors/collector-failure.js';
import { CollectorDirectory } from '../discovery/collector-directory.js';

/** Seconds; the per-node deadline (default 5 s) ends the interesting range. */
const NODE_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The aggregator's metrics. `node` is a label here: its values are the cluster's node names as
 * discovery knows them, so the series grow with the cluster, not with traffic, and the series of
 * a node discovery no longer knows are dropped at the next scrape. `kind` is one of the five
 * failure kinds.
 */
@Injectable()
export class AggregatorMetrics {
  private readonly callDuration: Histogram<'node'>;
  private readonly callErrors: Counter<'node' | 'kind'>;
  /** Nodes with series, to drop those discovery has forgotten. */
  private readonly observedNodes = new Set<string>();

  constructor(metrics: MetricsRegistry, directory: CollectorDirectory) {
    const registers = [metrics.registry];
    const name = (n: string): string => `${METRIC_PREFIX}${n}`;
    this.callDuration = new Histogram({
      name: name('node_request_duration_seconds'),
      help: "Calls to a node's collector (list fan-out, metadata, node probes), answered or failed, by node",
      labelNames: ['node'],
      buckets: NODE_CALL_BUCKETS,
      registers,
      // Collected first (registered first): a forgotten node's series are gone from this scrape.
      collect: () => forget(),
    });
    this.callErrors = new Counter({
      name: name('node_request_errors_total'),
      help: "Calls to a node's collector that failed, by node and kind (not-ready, timeout, unreachable, http, bad-answer)",
      labelNames: ['node', 'kind'],
      registers,
    });
    const forget = (): void => {
      const known = new Set(directory.all().map((t) => t.node));
      for (const node of this.observedNodes) {
        if (known.has(node)) continue;
        this.callDuration.remove({ node });
        for (const kind of FAILURE_KINDS) this.callErrors.remove({ node, kind });
        this.observedNodes.delete(node);
      }
    };
    new Gauge({
      name: name('nodes'),
      help: 'Nodes with a collector pod (discovered) or listed in KOREDUMP_COLLECTORS',
      registers,
      collect() {
        this.set(directory.status().nodes);
      },
    });
    new Gauge({
      name: name('nodes_ready'),
      help: 'Nodes whose collector pod is ready and has an IP (the ones lists fan out to)',
      registers,
      collect() {
        this.set(directory.status().ready);
      },
    });
    new Gauge({
      name: name('discovery_synced'),
      help: '1 when the collector list is known (static, or the pod watch has listed)',
      registers,
      collect() {
        this.set(directory.status().synced ? 1 : 0);
      },
    });
  }

  /** One call to a node's collector took `seconds`; `failure` when it gave no usable answer. */
  nodeCall(node: string, seconds: number, failure?: CollectorFailure): void {
    this.observedNodes.add(node);
    this.callDuration.observe({ node }, seconds);
    if (failure) this.callErrors.inc({ node, kind: failure.kind });
  }

  /** A call answered in time, but its answer was unusable (counted as an error only). */
  nodeCallError(node: string, failure: CollectorFailure): void {
    this.observedNodes.add(node);
    this.callErrors.inc({ node, kind: failure.kind });
  }
}

const FAILURE_KINDS: readonly CollectorFailure['kind'][] = [
  'not-ready',
  'timeout',
  'unreachable',
  'http',
  'bad-answer',
];
