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
  nodeName: string;
  /** Full relist period (the informer "resync"), on top of the watch. */
  resyncMs?: number;
  /** Longest pause between reconnect attempts. */
  maxBackoffMs?: number;
}

/**
 * List + watch of the pods scheduled on one node (`spec.nodeName=<node>`): what kubelet-like
 * agents do. Reconnects with backoff, resumes from the last resourceVersion, relists when the
 * server says it is too old (410) and every `resyncMs`.
 */
export class PodWatcher extends EventEmitter<PodWatcherEvents> {
  private readonly api: CoreV1Api;
  private readonly watch: Watch;
  private readonly fieldSelector: string;
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
    this.fieldSelector = `spec.nodeName=${options.nodeName}`;
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
    const list = await this.api.listPodForAllNamespaces({ fieldSelector: this.fieldSelector });
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
          '/api/v1/pods',
          {
            fieldSelector: this.fieldSelector,
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
