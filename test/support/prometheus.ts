/**
 * Reads /metrics the way Prometheus does: the text is parsed by the official Prometheus Python
 * client's parser (`prometheus_client.parser`, Debian's python3-prometheus-client, installed by
 * scripts/install-test-deps.sh), not by anything of ours and not by prom-client, which wrote it.
 * A parse error fails the scrape.
 */
import { run } from './exec.js';

/** Debian's interpreter: the one python3-prometheus-client installs into. */
const PYTHON = '/usr/bin/python3';

const PARSER = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({
        'name': f.name, 'type': f.type, 'help': f.documentation,
        'samples': [{'name': s.name, 'labels': s.labels,
                     'value': s.value if math.isfinite(s.value) else repr(s.value)}
                    for s in f.samples],
    })
json.dump(out, sys.stdout)
`;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  /** The family name (a counter's without `_total`, as the parser reports it). */
  name: string;
  /** counter, gauge, histogram, summary, untyped, … as the parser names it. */
  type: string;
  help: string;
  samples: Sample[];
}

/** Parses Prometheus text-format exposition with the reference parser. */
async function parsePrometheusText(text: string): Promise<MetricFamily[]> {
  const { stdout } = await run(PYTHON, ['-c', PARSER], { input: text, timeoutMs: 30_000 });
  const raw = JSON.parse(stdout) as (Omit<MetricFamily, 'samples'> & {
    samples: (Omit<Sample, 'value'> & { value: number | string })[];
  })[];
  return raw.map((f) => ({
    ...f,
    samples: f.samples.map((s) => ({ ...s, value: Number(s.value) })),
  }));
}

export class Scrape {
  constructor(
    readonly text: string,
    readonly families: MetricFamily[],
  ) {}

  family(name: string): MetricFamily | undefined {
    return this.families.find((f) => f.name === name || `${f.name}_total` === name);
  }

  /** Samples named `name` (the sample name: `x_total`, `x_bucket`, `x_count`) whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.families
      .flatMap((f) => f.samples)
      .filter(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
  }

  /** The sum of the matching samples (0 when none: a counter not incremented yet). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  /** A histogram's series with exactly these labels: count, sum and cumulative buckets by `le`. */
  histogram(
    name: string,
    labels: Record<string, string> = {},
  ): { count: number; sum: number; buckets: Map<number, number> } {
    const buckets = new Map<number, number>();
    for (const s of this.samples(`${name}_bucket`, labels)) {
      buckets.set(Number(s.labels.le === '+Inf' ? Infinity : s.labels.le), s.value);
    }
    return {
      count: this.value(`${name}_count`, labels),
      sum: this.value(`${name}_sum`, labels),
      buckets,
    };
  }
}

/** GET /metrics (no token), checked and parsed. */
export async function scrapeMetrics(baseUrl: string): Promise<Scrape> {
  const res = await fetch(`${baseUrl}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${text}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain; version=0.0.4')) {
    throw new Error(`GET /metrics: content type ${type}`);
  }
  return new Scrape(text, await parsePrometheusText(text));
}
