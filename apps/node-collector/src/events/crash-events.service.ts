import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { isApiAttribution } from '@koredump/attribution';
import {
  apiStatus,
  crashEventName,
  crashEventState,
  CrashEventsClient,
  decideCrashEvent,
  isReported,
  reportedState,
  latestCrashEventState,
  type CrashEventState,
  type CrashFacts,
} from '@koredump/k8s';
import { setTimeout as sleep } from 'node:timers/promises';

import { ClusterConnection } from '../cluster.js';
import { CollectorConfig } from '../collector.config.js';
import type { CoreRecord } from '../cores/core-record.js';
import { CoreCatalog, type IndexedCore } from '../cores/core-catalog.js';

/** Pods whose event state is remembered (the newest core reported, the current window). */
const STATE_CACHE_SIZE = 1024;
/** Pods with cores waiting to be reported, and cores kept per pod (the newest). */
const MAX_PENDING_PODS = 256;
const MAX_PENDING_PER_POD = 32;
/** Attempts per API call; the waits between them grow 250 ms, 1 s, 4 s. */
const ATTEMPTS = 4;
const FIRST_RETRY_MS = 250;
/** A failing API is reported at most this often (with the number of failures in between). */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/** The facts of a core that can be reported on its pod, or undefined. */
function crashFacts(record: CoreRecord): CrashFacts | undefined {
  if (!record.namespace || !record.pod || !record.podUID) return undefined;
  // Only the API knows the pod's uid for certain, and an event must name a real pod.
  if (!isApiAttribution(record.attribution.source)) return undefined;
  const signal = record.COREDUMP_SIGNAL;
  const signalName = record.COREDUMP_SIGNAL_NAME;
  const comm = record.COREDUMP_COMM;
  return {
    coreId: record.id,
    node: record.node,
    namespace: record.namespace,
    pod: record.pod,
    podUID: record.podUID,
    container: record.container,
    signal: typeof signal === 'number' ? signal : undefined,
    signalName: typeof signalName === 'string' ? signalName : undefined,
    comm: typeof comm === 'string' ? comm : undefined,
    timestamp: record.timestamp,
  };
}

/** An API error in one line: client-node's message carries the whole response. */
function describeError(err: unknown): string {
  const status = apiStatus(err);
  if (status === undefined) return (err as Error).message;
  const body = (err as { body?: unknown }).body;
  let message: unknown;
  try {
    message = (
      (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown } | undefined
    )?.message;
  } catch {
    // not a Status object
  }
  return `HTTP ${status}${typeof message === 'string' ? `: ${message}` : ''}`;
}

/** Retrying helps with an unreachable or overloaded API, not with a refusal. */
function retryable(err: unknown): boolean {
  const status = apiStatus(err);
  return status === undefined || status >= 500 || status === 429;
}

/**
 * Puts a `Warning CoreDumped` Event on the pod of every new core (core/v1 Events, shown by
 * `kubectl describe pod`). One event per pod per window: further crashes in the window raise its
 * count. What was reported is kept in the events themselves (the newest core, in annotations), so
 * a restarted collector reads it back per pod and reports only newer cores, none older than the
 * lookback. Runs beside indexing: the catalog never waits for it, failures are logged (throttled)
 * and dropped after a few retries.
 */
@Injectable()
export class CrashEventsService implements OnApplicationShutdown {
  private readonly logger = new Logger('CrashEvents');
  private readonly api?: CrashEventsClient;
  /** By pod uid, least recently used first; null: the pod has no event of ours. */
  private readonly states = new Map<string, CrashEventState | null>();
  /** Cores waiting to be reported, by pod uid, in arrival order. */
  private readonly pending = new Map<string, CrashFacts[]>();
  private draining = false;
  private drainScheduled = false;
  private readonly stop = new AbortController();
  private lastFailureLog = 0;
  private failuresNotLogged = 0;

  constructor(
    private readonly config: CollectorConfig,
    cluster: ClusterConnection,
    private readonly catalog: CoreCatalog,
  ) {
    if (!config.events.enabled || !cluster.kubeConfig) return;
    this.api = new CrashEventsClient(cluster.kubeConfig);
    // Subscribed here, not in onModuleInit: the catalog's initial index (and 'ready') is built
    // in its own onModuleInit, which Nest runs before this module's.
    catalog.changes.on('ready', (cores) => cores.forEach((c) => this.consider(c)));
    catalog.changes.on('added', (c) => this.consider(c));
    // A core's pod may become known later (pods synced after 'ready', a late pod event).
    catalog.changes.on('updated', (c) => this.consider(c));
  }

  onApplicationShutdown(): void {
    this.stop.abort();
    this.pending.clear();
  }

  private consider(core: IndexedCore): void {
    if (this.stop.signal.aborted || !this.catalog.visible(core.record)) return;
    const facts = crashFacts(core.record);
    if (!facts) return;
    // Cheap checks first: most 'updated' cores are old or already reported.
    if (Date.now() - facts.timestamp > this.config.events.lookbackMs) return;
    if (isReported(this.states.get(facts.podUID) ?? undefined, facts)) return;
    let queue = this.pending.get(facts.podUID);
    if (!queue) {
      if (this.pending.size >= MAX_PENDING_PODS) {
        this.failed(`too many pods waiting for crash events; core ${facts.coreId} not reported`);
        return;
      }
      queue = [];
      this.pending.set(facts.podUID, queue);
    }
    const same = queue.findIndex((f) => f.coreId === facts.coreId);
    if (same >= 0) queue.splice(same, 1);
    queue.push(facts);
    if (queue.length > MAX_PENDING_PER_POD) queue.shift();
    // On the next turn: a burst (every core of a pod re-attributed when pods sync) becomes one
    // batch, reported oldest first.
    if (!this.draining && !this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => {
        this.drainScheduled = false;
        void this.drain();
      });
    }
  }

  /** One worker: pods one after another, each pod's cores oldest first. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.stop.signal.aborted) {
        const next = this.pending.entries().next();
        if (next.done) break;
        const [podUID, queue] = next.value;
        this.pending.delete(podUID);
        queue.sort((a, b) => a.timestamp - b.timestamp);
        for (const facts of queue) {
          try {
            await this.report(facts);
          } catch (err) {
            if (this.stop.signal.aborted) return;
            this.failed(
              `crash event for core ${facts.coreId} of pod ${facts.namespace}/${facts.pod} not recorded: ${describeError(err)}`,
            );
            break; // the API refused or is down: the rest of this pod's batch would fail alike
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async report(facts: CrashFacts): Promise<void> {
    const state = await this.stateOf(facts);
    const decision = decideCrashEvent(state, facts, Date.now(), this.config.events);
    if (decision.action === 'skip') return;
    if (decision.action === 'update' && state) {
      try {
        await this.call(() => this.api!.update(facts, state));
        this.remember(facts.podUID, reportedState(state, facts, decision));
        return;
      } catch (err) {
        // Deleted or expired (the API server keeps events for an hour): start a new one.
        if (apiStatus(err) !== 404) throw err;
      }
    }
    await this.create(facts);
  }

  private async create(facts: CrashFacts): Promise<void> {
    const name = crashEventName(facts.pod, facts.podUID, facts.coreId);
    try {
      await this.call(() => this.api!.create(facts, name));
      this.remember(facts.podUID, reportedState(undefined, facts, { action: 'create', name }));
    } catch (err) {
      if (apiStatus(err) !== 409) throw err;
      // The name comes from this core: an earlier run of the collector already reported it.
      const existing = await this.call(() => this.api!.read(facts.namespace, name));
      this.remember(facts.podUID, crashEventState(existing) ?? null);
    }
  }

  /** The pod's current event: remembered, or read back from the API (after a restart). */
  private async stateOf(facts: CrashFacts): Promise<CrashEventState | undefined> {
    const known = this.states.get(facts.podUID);
    if (known !== undefined) {
      this.remember(facts.podUID, known);
      return known ?? undefined;
    }
    const events = await this.call(() => this.api!.listForPod(facts.namespace, facts.podUID));
    const state = latestCrashEventState(events);
    this.remember(facts.podUID, state ?? null);
    return state;
  }

  private remember(podUID: string, state: CrashEventState | null): void {
    this.states.delete(podUID);
    this.states.set(podUID, state);
    if (this.states.size > STATE_CACHE_SIZE) {
      this.states.delete(this.states.keys().next().value as string);
    }
  }

  /** One API call (with its timeout), retried with backoff while the API is down or overloaded. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= ATTEMPTS || !retryable(err) || this.stop.signal.aborted) throw err;
        await sleep(FIRST_RETRY_MS * 4 ** (attempt - 1), undefined, { signal: this.stop.signal });
      }
    }
  }

  /** Logs a failure at most once a minute, saying how many were not logged in between. */
  private failed(message: string): void {
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) {
      this.failuresNotLogged++;
      return;
    }
    const more = this.failuresNotLogged ? ` (and ${this.failuresNotLogged} more since)` : '';
    this.logger.warn(`${message}${more}`);
    this.lastFailureLog = now;
    this.failuresNotLogged = 0;
  }
}
