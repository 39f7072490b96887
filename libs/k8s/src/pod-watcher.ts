import type { CoreV1Api, KubeConfig, V1Pod, Watch } from '@kubernetes/client-node';
import { EventEmitter } from 'node:events';

import { kubernetesClient } from './client.js';
import { apiStatus } from './kube-config.js';

export interface PodWatcherEvents {
  /** Every pod of the node, after each (re)list. */
  synced: [V1Pod[]];
  upsert: [V1Pod];
  delete: [V1Pod];
  error: [Error];
}

export interface PodWatcherOptions {
  /** e.g. `spec.nodeName=<node>` (the collector's own pods). */
  fieldSelector?: string;
  /** e.g. `app.kubernetes.io/component=node-collector` (the aggregator's collectors). */
  labelSelector?: string;
  /** Only this namespace; undefined: all namespaces. */
  namespace?: string;
  /** Full relist period (the informer "resync"), on top of the watch. */
  resyncMs?: number;
  /** Longest pause between reconnect attempts. */
  maxBackoffMs?: number;
}

/**
 * List + watch of the pods a selector picks (the collector: its node's pods, with
 * `spec.nodeName=<node>`, as kubelet-like agents do; the aggregator: the collector pods). Reconnects with backoff, resumes from the last resourceVersion, relists when the
 * server says it is too old (410) and every `resyncMs`.
 */
export class PodWatcher extends EventEmitter<PodWatcherEvents> {
  private readonly api: CoreV1Api;
  private readonly watch: Watch;
  private readonly path: string;
  private resourceVersion = '';
  private stopped = true;
  private request?: { abort(): void };
  private lastList = 0;
  private wake?: () => void;
  /** True once the first list succeeded. */
  synced = false;

  constructor(
    kc: KubeConfig,
    private readonly options: PodWatcherOptions,
  ) {
    super();
    const { CoreV1Api, Watch } = kubernetesClient();
    this.api = kc.makeApiClient(CoreV1Api);
    this.watch = new Watch(kc);
    this.path = options.namespace
      ? `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods`
      : '/api/v1/pods';
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let backoff = 250;
    const maxBackoff = this.options.maxBackoffMs ?? 30_000;
    const resync = this.options.resyncMs ?? 10 * 60_000;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion || Date.now() - this.lastList > resync) await this.list();
        await this.watchOnce();
        backoff = 250;
      } catch (err) {
        if (this.stopped) return;
        if (apiStatus(err) === 410) {
          this.resourceVersion = '';
          continue;
        }
        this.emit('error', toError(err));
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  private async list(): Promise<void> {
    const selectors = {
      fieldSelector: this.options.fieldSelector,
      labelSelector: this.options.labelSelector,
    };
    const list = this.options.namespace
      ? await this.api.listNamespacedPod({ namespace: this.options.namespace, ...selectors })
      : await this.api.listPodForAllNamespaces(selectors);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.lastList = Date.now();
    this.synced = true;
    this.emit('synced', list.items);
  }

  /** One watch connection; resolves when the server closes it (timeout), rejects on errors. */
  private watchOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        this.request = undefined;
        if (err) reject(toError(err));
        else resolve();
      };
      this.watch
        .watch(
          this.path,
          {
            ...(this.options.fieldSelector ? { fieldSelector: this.options.fieldSelector } : {}),
            ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: 240 + Math.floor(Math.random() * 120),
          },
          (type: string, obj: V1Pod & { code?: number; message?: string }) => {
            if (type === 'ERROR') {
              // A Status object: 410 Gone means our resourceVersion is too old: relist.
              if (obj.code === 410) this.resourceVersion = '';
              done(
                Object.assign(new Error(`watch error: ${obj.message ?? 'unknown'}`), {
                  code: obj.code,
                }),
              );
              this.request?.abort();
              return;
            }
            const rv = obj.metadata?.resourceVersion;
            if (rv) this.resourceVersion = rv;
            if (type === 'ADDED' || type === 'MODIFIED') this.emit('upsert', obj);
            else if (type === 'DELETED') this.emit('delete', obj);
          },
          (err: unknown) => done(err),
        )
        .then(
          (req: { abort(): void }) => {
            if (settled || this.stopped) req.abort();
            else this.request = req;
          },
          (err: unknown) => done(err),
        );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function toError(err: unknown): Error {
  return err instanceof Error
    ? err
    : new Error(typeof err === 'string' ? err : JSON.stringify(err));
}
