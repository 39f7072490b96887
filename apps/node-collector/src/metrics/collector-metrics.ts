import { Injectable } from '@nestjs/common';
import { METRIC_PREFIX, MetricsRegistry } from '@koredump/http';
import { Counter, Gauge, Histogram } from 'prom-client';

import { CoreCatalog } from '../cores/core-catalog.js';
import type { CoreRecord } from '../cores/core-record.js';
import type { DownloadObserver } from '../cores/send-core.js';
import { CoreLabels } from './core-labels.js';

/** How long a new core known only from its file waits for its journal entry before it is counted. */
const JOURNAL_WAIT_MS = 10_000;

/** Seconds from a core file to its journal entry: usually ~0.3 s (journalctl --follow's delay). */
const JOURNAL_LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * The collector's metrics. The gauges of the cores present are computed when /metrics is scraped
 * (one pass over the visible cores per scrape), the counters from the catalog's change feed
 * ('added', once per new core), so listing cores does no metrics work at all. Cores the namespace
 * filter hides are not counted: /metrics must not reveal what the API would not serve.
 */
@Injectable()
export class CollectorMetrics {
  private readonly labels = new CoreLabels();
  readonly downloads: DownloadObserver;

  constructor(metrics: MetricsRegistry, catalog: CoreCatalog) {
    const registers = [metrics.registry];
    const name = (n: string): string => `${METRIC_PREFIX}${n}`;
    const labels = this.labels;

    const present: Gauge<'namespace' | 'signal'> = new Gauge({
      name: name('cores'),
      help: 'Cores present in the coredump directory (visible ones), by namespace and signal',
      labelNames: ['namespace', 'signal'],
      registers,
      collect: () => {
        // Summed in plain maps first: prom-client hashes the labels on every call, so one call
        // per label set rather than four per core (10,000 cores: a few ms per scrape).
        const byNsSignal = new Map<
          string,
          { ns: string; signal: string; n: number; bytes: number }
        >();
        const truncatedByNs = new Map<string, number>();
        const sources = new Map<string, number>();
        for (const { record } of catalog.list()) {
          const ns = labels.namespace(record);
          const signal = labels.signal(record);
          const key = `${ns}\0${signal}`;
          const sum = byNsSignal.get(key) ?? { ns, signal, n: 0, bytes: 0 };
          sum.n++;
          sum.bytes += record.size;
          byNsSignal.set(key, sum);
          if (record.truncated) truncatedByNs.set(ns, (truncatedByNs.get(ns) ?? 0) + 1);
          const source = record.attribution.source;
          sources.set(source, (sources.get(source) ?? 0) + 1);
        }
        present.reset();
        bytes.reset();
        truncated.reset();
        bySource.reset();
        for (const { ns, signal, n, bytes: b } of byNsSignal.values()) {
          present.set({ namespace: ns, signal }, n);
          bytes.set({ namespace: ns, signal }, b);
        }
        for (const [ns, n] of truncatedByNs) truncated.set({ namespace: ns }, n);
        for (const [source, n] of sources) bySource.set({ source }, n);
      },
    });
    // Filled by the collect() above (prom-client collects every metric before serializing).
    const bytes = new Gauge({
      name: name('cores_bytes'),
      help: 'Bytes on disk of the cores present (visible ones), by namespace and signal',
      labelNames: ['namespace', 'signal'],
      registers,
    });
    const truncated = new Gauge({
      name: name('cores_truncated'),
      help: 'Cores present that systemd-coredump cut short (COREDUMP_TRUNCATED=1: raise ExternalSizeMax), by namespace',
      labelNames: ['namespace'],
      registers,
    });
    const bySource = new Gauge({
      name: name('cores_attribution'),
      help: 'Cores present by how their pod was found (attribution.source; "none": not attributed)',
      labelNames: ['source'],
      registers,
    });

    const newCores = new Counter({
      name: name('cores_new_total'),
      help: 'Cores new since the collector started, by namespace, container and signal (as known once the journal entry is merged)',
      labelNames: ['namespace', 'container', 'signal'],
      registers,
    });
    const newBySource = new Counter({
      name: name('cores_new_attribution_total'),
      help: 'Cores new since the collector started, by how their pod was found (once the journal entry is merged)',
      labelNames: ['source'],
      registers,
    });
    const countNew = (record: CoreRecord): void => {
      if (!catalog.visible(record)) return;
      newCores.inc({
        namespace: labels.namespace(record),
        container: labels.container(record),
        signal: labels.signal(record),
      });
      newBySource.inc({ source: record.attribution.source });
    };
    // 'added' can come from the file's xattrs alone, which name no cgroup and so no pod; the
    // journal entry (~0.3 s later) does. A new core is counted once its entry is merged, or after
    // JOURNAL_WAIT_MS with what is known then (an entry lost to journal rotation), or when it is
    // removed before either. At most the cores of the last JOURNAL_WAIT_MS wait here.
    const waiting = new Map<string, { record: CoreRecord; timer: NodeJS.Timeout }>();
    const settle = (id: string, record: CoreRecord): void => {
      const entry = waiting.get(id);
      if (!entry) return;
      clearTimeout(entry.timer);
      waiting.delete(id);
      countNew(record);
    };
    catalog.changes.on('added', (core) => {
      if (core.journalFilename) return countNew(core.record);
      const id = core.record.id;
      const timer = setTimeout(() => settle(id, waiting.get(id)!.record), JOURNAL_WAIT_MS);
      timer.unref();
      waiting.set(id, { record: core.record, timer });
    });
    catalog.changes.on('updated', (core) => {
      const entry = waiting.get(core.record.id);
      if (!entry) return;
      if (core.journalFilename) settle(core.record.id, core.record);
      else entry.record = core.record;
    });
    catalog.changes.on('removed', (core) => settle(core.record.id, core.record));

    const journalLag = new Histogram({
      name: name('journal_lag_seconds'),
      help: 'Seconds from a new core file (its mtime) to its journal entry being merged into the index',
      buckets: JOURNAL_LAG_BUCKETS,
      registers,
    });
    catalog.measurements.on('journalLag', (seconds) => journalLag.observe(seconds));

    const indexBuild: Gauge = new Gauge({
      name: name('index_build_seconds'),
      help: 'Seconds the initial index (directory scan + journal read) took at start-up; absent until it is built',
      registers,
      collect: () => {
        indexBuild.reset();
        if (catalog.indexBuildSeconds !== undefined) indexBuild.set(catalog.indexBuildSeconds);
      },
    });
    new Gauge({
      name: name('index_ready'),
      help: '1 once the initial index is built',
      registers,
      collect() {
        this.set(catalog.ready ? 1 : 0);
      },
    });

    const downloadBytes = new Counter({
      name: name('download_bytes_total'),
      help: 'Core bytes sent to clients (body bytes the socket accepted), raw or decompressed on the fly',
      labelNames: ['mode'],
      registers,
    });
    const activeDownloads = new Gauge({
      name: name('downloads_active'),
      help: 'Core downloads streaming now',
      labelNames: ['mode'],
      registers,
    });
    for (const mode of ['raw', 'decompressed']) {
      downloadBytes.inc({ mode }, 0);
      activeDownloads.set({ mode }, 0);
    }
    this.downloads = {
      started: (mode) => activeDownloads.inc({ mode }),
      wrote: (n, mode) => downloadBytes.inc({ mode }, n),
      ended: (mode) => activeDownloads.dec({ mode }),
    };
  }
}
