import {
  type BeforeApplicationShutdown,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  parseWatchEventId,
  WATCH_MAX_QUEUED_EVENTS,
  WATCH_RETRY_MS,
  type WatchCoresQueryDto,
} from '@koredump/api';
import type { Caller } from '@koredump/auth';
import { SseStream } from '@koredump/http';
import type { ServerResponse } from 'node:http';

import { CollectorConfig } from '../collector.config.js';
import { CoreCatalog, type IndexedCore } from './core-catalog.js';
import { coreMatcher } from './core-filter.js';
import { CoresService, type NamespaceView } from './cores.service.js';

type WatchEventKind = 'added' | 'updated' | 'removed';

/** Shortest time a namespace decision is reused on one stream (even with a 0 s auth cache). */
const MIN_VIEW_TTL_MS = 1000;

/**
 * The caller's view per namespace for one stream, decided with CoresService.viewFor (the list's
 * rule) and cached until the auth cache's TTL has passed; then asked again with a fresh Caller, so
 * a revoked right stops the stream's cores within one TTL.
 */
class StreamViews {
  private readonly views = new Map<string | undefined, NamespaceView>();
  private expires: number;

  constructor(
    private caller: Caller,
    private readonly ttlMs: number,
    private readonly decide: (caller: Caller, ns: string | undefined) => Promise<NamespaceView>,
  ) {
    this.expires = Date.now() + ttlMs;
  }

  /** The view, synchronously when cached (the common case); a rejection means "cannot decide". */
  get(ns: string | undefined): NamespaceView | Promise<NamespaceView> {
    if (Date.now() >= this.expires) {
      this.views.clear();
      this.caller = this.caller.fresh();
      this.expires = Date.now() + this.ttlMs;
    }
    if (this.views.has(ns)) return this.views.get(ns);
    return this.decide(this.caller, ns).then((view) => {
      this.views.set(ns, view);
      return view;
    });
  }
}

/**
 * GET /apiv1/cores/watch: the catalog's change feed as Server-Sent Events, filtered like the list
 * (coreMatcher) and by the caller's RBAC view (CoresService.viewFor), in order, per connection.
 */
@Injectable()
export class CoresWatchService implements BeforeApplicationShutdown {
  private readonly streams = new Set<SseStream>();

  constructor(
    private readonly catalog: CoreCatalog,
    private readonly cores: CoresService,
    private readonly config: CollectorConfig,
  ) {}

  /** Streams open right now. */
  get active(): number {
    return this.streams.size;
  }

  /** Closes every stream, so shutting down does not wait for clients that never leave. */
  beforeApplicationShutdown(): void {
    for (const stream of this.streams) stream.close();
  }

  /**
   * Starts a stream on `res` (the handler's raw response). 400 for bad filters and 503 when too
   * many streams are open or the index is not built yet: both before any byte is sent.
   */
  open(
    query: WatchCoresQueryDto,
    caller: Caller,
    lastEventId: string | undefined,
    res: ServerResponse,
  ): void {
    const matches = coreMatcher(query);
    if (this.streams.size >= this.config.watchMaxClients) {
      res.setHeader('Retry-After', '10');
      throw new ServiceUnavailableException(
        `too many watch streams open (${this.config.watchMaxClients}); try again later`,
      );
    }
    if (!this.catalog.ready) {
      res.setHeader('Retry-After', '2');
      throw new ServiceUnavailableException(
        'the core index is still being built; try again shortly',
      );
    }
    const resumeFrom = parseWatchEventId(lastEventId);
    let highWater = resumeFrom ?? Date.now();
    const stream = new SseStream(res, {
      heartbeatMs: this.config.watchHeartbeatMs,
      maxQueuedFrames: WATCH_MAX_QUEUED_EVENTS,
      retryMs: WATCH_RETRY_MS,
      firstId: String(highWater),
    });
    this.streams.add(stream);
    const views = new StreamViews(
      caller,
      Math.max(MIN_VIEW_TTL_MS, this.config.authCacheTtlMs),
      (c, ns) => this.cores.viewFor(c, ns),
    );

    // The snapshot and the subscription happen in the same tick: no change falls between them.
    let snapshot: readonly IndexedCore[] = [];
    if (query.initial === 'true') snapshot = this.catalog.list();
    else if (resumeFrom !== undefined) {
      snapshot = this.catalog.list().filter((c) => c.record.timestamp >= resumeFrom);
    }
    let next = 0;
    const pending: { kind: WatchEventKind; core: IndexedCore }[] = [];
    let pumping = false;

    const deliver = async (kind: WatchEventKind, core: IndexedCore): Promise<void> => {
      const { record } = core;
      if (!this.catalog.visible(record) || (matches && !matches(record))) return;
      const cached = views.get(record.namespace);
      const view = cached instanceof Promise ? await cached : cached;
      if (!view || stream.closed) return;
      if (kind !== 'removed') highWater = Math.max(highWater, record.timestamp);
      stream.send({
        event: kind,
        id: String(highWater),
        data: view === 'full' ? core.listJson : core.listJsonRedacted,
      });
      // One frame in flight at most: a slow client holds the events here, bounded below.
      if (stream.queued > 0) await stream.drained();
    };
    const pump = async (): Promise<void> => {
      pumping = true;
      try {
        while (!stream.closed) {
          if (next < snapshot.length) await deliver('added', snapshot[next++]);
          else if (pending.length > 0) {
            const { kind, core } = pending.shift()!;
            await deliver(kind, core);
          } else break;
        }
      } catch (err) {
        // Deny by default: without a decision the stream cannot go on; the client reconnects.
        stream.close(`cannot check permissions: ${(err as Error).message}`);
      } finally {
        pumping = false;
      }
    };
    const enqueue = (kind: WatchEventKind, core: IndexedCore): void => {
      if (stream.closed) return;
      pending.push({ kind, core });
      if (pending.length > WATCH_MAX_QUEUED_EVENTS) {
        pending.length = 0;
        stream.close(
          `the client reads too slowly (more than ${WATCH_MAX_QUEUED_EVENTS} events behind); reconnect with Last-Event-ID to resume`,
        );
      } else if (!pumping) void pump();
    };

    const onAdded = (core: IndexedCore): void => enqueue('added', core);
    const onUpdated = (core: IndexedCore): void => enqueue('updated', core);
    const onRemoved = (core: IndexedCore): void => enqueue('removed', core);
    this.catalog.changes.on('added', onAdded);
    this.catalog.changes.on('updated', onUpdated);
    this.catalog.changes.on('removed', onRemoved);
    stream.onClose(() => {
      this.catalog.changes.off('added', onAdded);
      this.catalog.changes.off('updated', onUpdated);
      this.catalog.changes.off('removed', onRemoved);
      pending.length = 0;
      snapshot = [];
      this.streams.delete(stream);
    });
    if (snapshot.length > 0) void pump();
  }
}
