import { Injectable } from '@nestjs/common';

import { AggregatorConfig } from '../aggregator.config.js';
import { CollectorClient } from '../collectors/collector-client.js';
import { CollectorCallError, describeFailure } from '../collectors/collector-failure.js';
import { NodeHealthRegistry } from '../collectors/node-health.js';
import { CollectorDirectory } from '../discovery/collector-directory.js';
import type { CollectorTarget } from '../discovery/collector-target.js';
import type { NodeHealthDto } from '@koredump/api';
import type { NodeStatusDto } from './dto/node-status.dto.js';

interface ProbeResult {
  reachable: boolean;
  collectorReady?: boolean;
  cores?: number;
  problem?: string;
}

type HealthResult = { health: NodeHealthDto } | { healthError: string };

/** The state of every known node's collector, probed now (in parallel, within the deadline). */
@Injectable()
export class NodesService {
  constructor(
    private readonly config: AggregatorConfig,
    private readonly directory: CollectorDirectory,
    private readonly client: CollectorClient,
    private readonly health: NodeHealthRegistry,
  ) {}

  /**
   * @param token the caller's token, passed on for each collector's /apiv1/node (which checks
   *   the caller's RBAC itself); undefined with NO_TOKENS=1
   */
  async nodes(signal?: AbortSignal, token?: string): Promise<NodeStatusDto[]> {
    const targets = this.directory.all();
    this.health.retain(new Set(targets.map((t) => t.node)));
    const results = await Promise.all(
      targets.map(async (t) => {
        const [probe, nodeHealth] = await Promise.all([
          this.probe(t, signal),
          this.nodeHealth(t, signal, token),
          this.learnVersion(t, signal),
        ]);
        return { probe, nodeHealth };
      }),
    );
    return targets.map((t, i) => {
      const { probe, nodeHealth } = results[i];
      const h = this.health.get(t.node);
      return {
        node: t.node,
        source: t.source,
        ...(t.pod ? { pod: `${t.pod.namespace}/${t.pod.name}` } : {}),
        ...(t.url ? { url: t.url } : {}),
        ready: t.ready,
        ...(t.reason ? { reason: t.reason } : {}),
        reachable: probe.reachable,
        ...(probe.collectorReady !== undefined ? { collectorReady: probe.collectorReady } : {}),
        ...(probe.cores !== undefined ? { cores: probe.cores } : {}),
        ...(h.version && h.version.url === t.url ? { version: h.version.version } : {}),
        ...(h.lastError ? { lastError: h.lastError } : {}),
        ...(h.lastErrorAt ? { lastErrorAt: h.lastErrorAt.toISOString() } : {}),
        ...(h.lastSeen ? { lastSeen: h.lastSeen.toISOString() } : {}),
        ...nodeHealth,
      };
    });
  }

  /**
   * GET /apiv1/node of the collector with the caller's token, within the node deadline. A
   * failure (down, slow, 403 for a caller without cluster-wide list) is this node's healthError,
   * never the whole answer's.
   */
  private async nodeHealth(
    t: CollectorTarget,
    signal: AbortSignal | undefined,
    token: string | undefined,
  ): Promise<HealthResult> {
    try {
      const health = (await this.client.getJson(t, '/apiv1/node', {
        token,
        timeoutMs: this.config.nodeTimeoutMs,
        signal,
      })) as NodeHealthDto;
      if (!health || typeof health !== 'object' || !Array.isArray(health.warnings)) {
        return { healthError: 'bad answer: not a node health report' };
      }
      return { health };
    } catch (err) {
      if (!(err instanceof CollectorCallError)) throw err;
      return { healthError: describeFailure(err.failure) };
    }
  }

  /** GET /readyz of the collector (public): reachable, its own readiness and its core count. */
  private async probe(t: CollectorTarget, signal?: AbortSignal): Promise<ProbeResult> {
    if (!t.ready) return { reachable: false };
    try {
      const body = (await this.client.getJson(t, '/readyz', {
        timeoutMs: this.config.nodeTimeoutMs,
        signal,
      })) as { info?: { coreDir?: { cores?: unknown } } };
      const cores = body.info?.coreDir?.cores;
      return {
        reachable: true,
        collectorReady: true,
        ...(typeof cores === 'number' ? { cores } : {}),
      };
    } catch (err) {
      if (!(err instanceof CollectorCallError)) throw err;
      const f = err.failure;
      // 503 from /readyz: the collector runs but is not ready (journal, core directory).
      if (f.kind === 'http' && f.status === 503) {
        return { reachable: true, collectorReady: false, problem: describeFailure(f) };
      }
      return { reachable: f.kind === 'http', problem: describeFailure(f) };
    }
  }

  /** The collector version from its OpenAPI document, once per collector URL. */
  private async learnVersion(t: CollectorTarget, signal?: AbortSignal): Promise<void> {
    if (!t.ready || !t.url || this.health.get(t.node).version?.url === t.url) return;
    try {
      const doc = (await this.client.getJson(t, '/openapi.json', {
        timeoutMs: this.config.nodeTimeoutMs,
        signal,
      })) as { info?: { version?: unknown } };
      const version = doc.info?.version;
      if (typeof version === 'string') this.health.setVersion(t.node, t.url, version);
    } catch (err) {
      if (!(err instanceof CollectorCallError)) throw err;
    }
  }
}
