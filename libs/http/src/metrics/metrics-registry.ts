import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Every koredump metric name starts with this (the default process metrics too). */
export const METRIC_PREFIX = 'koredump_';

/** Seconds; from a 1 ms list answer to a download that runs for minutes. */
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

/** Methods reported as themselves; anything else is "other" (a client may send any token). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

export interface MetricsOptions {
  /** KOREDUMP_METRICS: serve /metrics and measure requests. */
  enabled: boolean;
}

/**
 * One app's Prometheus registry. Each app gets its own (never prom-client's global default), so
 * two apps in one process (the tests) do not share or clash over metrics. Metrics are registered
 * whether or not the endpoint is enabled, so instrumented code never checks; disabled, nothing is
 * served and the request middleware is not installed.
 */
export class MetricsRegistry {
  readonly registry = new Registry();
  readonly enabled: boolean;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_class'>;

  constructor(options: MetricsOptions) {
    this.enabled = options.enabled;
    if (this.enabled) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    this.httpDuration = new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'HTTP requests served, by route template (never the raw URL), method and status class; "aborted": the connection closed before the response was complete',
      labelNames: ['method', 'route', 'status_class'],
      buckets: HTTP_BUCKETS,
      registers: [this.registry],
    });
  }

  /**
   * Express middleware timing every request until its response completes or its connection
   * closes. Constant work per request (a timer and one histogram observation): nothing per core.
   */
  httpMiddleware(): (req: Request, res: Response, next: NextFunction) => void {
    return (req, res, next) => {
      const start = process.hrtime.bigint();
      res.once('close', () => {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        // Express sets req.route to the matched route: its template (`/apiv1/cores/download/:id`).
        const route = (req.route as { path?: unknown } | undefined)?.path;
        this.httpDuration.observe(
          {
            method: KNOWN_METHODS.has(req.method) ? req.method : 'other',
            route: typeof route === 'string' ? route : 'unmatched',
            status_class: res.writableFinished
              ? `${Math.floor(res.statusCode / 100)}xx`
              : 'aborted',
          },
          seconds,
        );
      });
      next();
    };
  }

  /** The exposition (Prometheus text format 0.0.4). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
