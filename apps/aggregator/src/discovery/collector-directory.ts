import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { PodWatcher } from '@koredump/k8s';

import type { StaticCollector } from '../aggregator.config.js';
import { targetsFromPods, type CollectorTarget } from './collector-target.js';

export interface DiscoveryStatus {
  /** 'static' (KOREDUMP_COLLECTORS) or 'pods' (watch of the collector pods). */
  mode: 'static' | 'pods';
  /** The static list, or the pod watch has listed at least once. */
  synced: boolean;
  nodes: number;
  ready: number;
  /** The pod watch's last error, if any since the last successful list. */
  error?: string;
}

/**
 * Which nodes have a collector and where it listens: an in-memory view kept up to date in the
 * background, so no request ever waits for (or causes) a Kubernetes API call.
 */
export abstract class CollectorDirectory {
  private readonly changeListeners = new Set<() => void>();

  /** Calls `listener` after every change of the targets; returns what unsubscribes it. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** For subclasses: the targets have changed. */
  protected changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  /** Every known node, sorted by name (usable or not). */
  abstract all(): readonly CollectorTarget[];
  abstract get(node: string): CollectorTarget | undefined;
  abstract status(): DiscoveryStatus;
}

/** The fixed list of KOREDUMP_COLLECTORS. */
export class StaticCollectorDirectory extends CollectorDirectory {
  private readonly targets: readonly CollectorTarget[];
  private readonly byNode: ReadonlyMap<string, CollectorTarget>;

  constructor(collectors: readonly StaticCollector[]) {
    super();
    this.targets = [...collectors]
      .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
      .map((c) => ({ node: c.node, url: c.url, ready: true, source: 'static' as const }));
    this.byNode = new Map(this.targets.map((t) => [t.node, t]));
  }

  all(): readonly CollectorTarget[] {
    return this.targets;
  }

  get(node: string): CollectorTarget | undefined {
    return this.byNode.get(node);
  }

  status(): DiscoveryStatus {
    const n = this.targets.length;
    return { mode: 'static', synced: true, nodes: n, ready: n };
  }
}

export interface PodDiscoveryOptions {
  labelSelector: string;
  /** undefined: every namespace. */
  namespace?: string;
  daemonsetPort: number;
}

/**
 * The collector pods, from a list + watch (PodWatcher: reconnects, relists on 410 and every
 * 10 minutes). Every node with a collector pod is known; only Ready pods with an IP are used.
 */
export class PodCollectorDirectory
  extends CollectorDirectory
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('Discovery');
  private readonly watcher: PodWatcher;
  private readonly pods = new Map<string, V1Pod>();
  private targets: readonly CollectorTarget[] = [];
  private byNode = new Map<string, CollectorTarget>();
  private lastError?: string;

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: PodDiscoveryOptions,
  ) {
    super();
    this.watcher = new PodWatcher(kubeConfig, {
      labelSelector: options.labelSelector,
      namespace: options.namespace,
    });
    this.watcher.on('synced', (pods) => {
      this.pods.clear();
      for (const pod of pods) this.pods.set(key(pod), pod);
      this.lastError = undefined;
      this.rebuild();
    });
    this.watcher.on('upsert', (pod) => {
      this.pods.set(key(pod), pod);
      this.rebuild();
    });
    this.watcher.on('delete', (pod) => {
      this.pods.delete(key(pod));
      this.rebuild();
    });
    this.watcher.on('error', (err) => {
      if (this.lastError !== err.message) {
        this.logger.warn(`collector pod watch: ${err.message} (retrying)`);
      }
      this.lastError = err.message;
    });
  }

  onApplicationBootstrap(): void {
    this.logger.log(
      `watching collector pods with labels ${this.options.labelSelector} in ${this.options.namespace ? `namespace ${this.options.namespace}` : 'all namespaces'} (port ${this.options.daemonsetPort})`,
    );
    this.watcher.start();
  }

  onApplicationShutdown(): void {
    this.watcher.stop();
  }

  all(): readonly CollectorTarget[] {
    return this.targets;
  }

  get(node: string): CollectorTarget | undefined {
    return this.byNode.get(node);
  }

  status(): DiscoveryStatus {
    return {
      mode: 'pods',
      synced: this.watcher.synced,
      nodes: this.targets.length,
      ready: this.targets.filter((t) => t.ready).length,
      ...(this.lastError ? { error: this.lastError } : {}),
    };
  }

  private rebuild(): void {
    const before = this.byNode;
    this.byNode = targetsFromPods(this.pods.values(), this.options.daemonsetPort);
    this.targets = [...this.byNode.values()];
    for (const [node, t] of this.byNode) {
      const old = before.get(node);
      if (!old || old.url !== t.url || old.ready !== t.ready) {
        this.logger.log(
          t.ready
            ? `node ${node}: collector at ${t.url}`
            : `node ${node}: ${t.reason ?? 'unusable'}`,
        );
      }
    }
    for (const node of before.keys()) {
      if (!this.byNode.has(node)) this.logger.log(`node ${node}: no collector pod any more`);
    }
    this.changed();
  }
}

function key(pod: V1Pod): string {
  return pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}
