import {
  type BeforeApplicationShutdown,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import { parseWatchEventId, WATCH_MAX_QUEUED_EVENTS, WATCH_RETRY_MS } from '@koredump/api';
import { SseStream } from '@koredump/http';
import type { ServerResponse } from 'node:http';

import { AggregatorConfig } from '../aggregator.config.js';
import { CollectorWatch } from '../collectors/collector-watch.js';
import { CollectorDirectory } from '../discovery/collector-directory.js';
import type { CollectorTarget } from '../discovery/collector-target.js';
import { CoresService } from './cores.service.js';
import { forwardedFilters, type AggregatorWatchQueryDto } from './dto/list-cores.query.js';

/** Reconnection backoff towards a collector that dropped the stream. */
const UPSTREAM_BACKOFF = { initial: 250, max: 30_000 };
/**
 * GET /apiv1/cores/watch on the aggregator: every collector's stream merged into one, each record
 * tagged with its node (as the list does). The collectors filter (with the caller's token, as for
 * the list); this follows the directory, so collectors that appear later are watched too and
 * those that disappear are let go.
 */
@Injectable()
export class CoresWatchService implements BeforeApplicationShutdown {
  private readonly streams = new Set<SseStream>();

  constructor(
    private readonly config: AggregatorConfig,
    private readonly directory: CollectorDirectory,
    private readonly cores: CoresService,
  ) {}

  /** Client streams open right now. */
  get active(): number {
    return this.streams.size;
  }

  beforeApplicationShutdown(): void {
    for (const stream of this.streams) stream.close();
  }

  /** Starts a stream on `res`; 400/404/503 before any byte is sent. */
  open(
    query: AggregatorWatchQueryDto,
    token: string | undefined,
    lastEventId: string | undefined,
    res: ServerResponse,
  ): void {
    const filters = forwardedFilters(query);
    // 400 for a malformed node, 404 for an unknown one, 503 before discovery has synced.
    if (query.node) this.cores.target(query.node);
    else this.cores.checkSynced();
    if (this.streams.size >= this.config.watchMaxClients) {
      res.setHeader('Retry-After', '10');
      throw new ServiceUnavailableException(
        `too many watch streams open (${this.config.watchMaxClients}); try again later`,
      );
    }
    const resumeFrom = parseWatchEventId(lastEventId);
    const startId = String(resumeFrom ?? Date.now());
    let highWater = Number(startId);
    const stream = new SseStream(res, {
      heartbeatMs: this.config.watchHeartbeatMs,
      maxQueuedFrames: WATCH_MAX_QUEUED_EVENTS,
      retryMs: WATCH_RETRY_MS,
      firstId: startId,
    });
    this.streams.add(stream);

    const upstreams = new Map<string, CollectorWatch>();
    const watch = (target: CollectorTarget & { url: string }, atStart: boolean): CollectorWatch =>
      new CollectorWatch({
        node: target.node,
        url: target.url,
        filters,
        // A collector found later starts where this stream started (or with its current cores).
        initial: query.initial === 'true',
        lastEventId: atStart && resumeFrom === undefined ? undefined : startId,
        token,
        backoffMs: UPSTREAM_BACKOFF,
        onEvent: (kind, record) => {
          if (kind !== 'removed' && typeof record.timestamp === 'number') {
            highWater = Math.max(highWater, record.timestamp);
          }
          stream.send({
            event: kind,
            id: String(highWater),
            data: JSON.stringify({ ...record, node: target.node }),
          });
        },
      });
    const sync = (atStart: boolean): void => {
      const wanted = new Map<string, CollectorTarget & { url: string }>();
      const targets = query.node ? [this.directory.get(query.node)] : this.directory.all();
      for (const t of targets) {
        if (t?.ready && t.url) wanted.set(t.node, t as CollectorTarget & { url: string });
      }
      for (const [node, up] of upstreams) {
        const t = wanted.get(node);
        if (!t || t.url !== up.url) {
          up.stop();
          upstreams.delete(node);
        }
      }
      for (const [node, t] of wanted) {
        if (upstreams.has(node)) continue;
        const up = watch(t, atStart);
        upstreams.set(node, up);
        up.start();
      }
    };
    sync(true);
    // Collector pods come and go: re-match the upstreams whenever discovery sees a change.
    const unsubscribe = this.directory.onChange(() => sync(false));
    stream.onClose(() => {
      unsubscribe();
      for (const up of upstreams.values()) up.stop();
      upstreams.clear();
      this.streams.delete(stream);
    });
  }
}
