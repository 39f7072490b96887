import 'reflect-metadata';

import { ServerEnv, parseEnv, serverSettings } from '@koredump/http';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

import { isValidNamespace, isValidNodeName, labelSelectorProblem } from './names.js';

/** The chart's labels of the node-collector pods. */
export const DEFAULT_COLLECTOR_SELECTOR =
  'app.kubernetes.io/name=koredump,app.kubernetes.io/component=node-collector';

/** Where a pod finds its own namespace (the service account mount). */
export const SERVICE_ACCOUNT_NAMESPACE_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The environment the aggregator reads, validated once at boot. */
class AggregatorEnv extends ServerEnv {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 5000;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  KOREDUMP_DAEMONSET_PORT = 5001;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(600_000)
  KOREDUMP_NODE_TIMEOUT_MS = 5000;

  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  KOREDUMP_COLLECTORS?: string;

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  KOREDUMP_COLLECTOR_SELECTOR = DEFAULT_COLLECTOR_SELECTOR;

  @IsOptional()
  @IsString()
  KOREDUMP_NAMESPACE?: string;
}

/** One collector of the static list (KOREDUMP_COLLECTORS). */
export interface StaticCollector {
  readonly node: string;
  /** Base URL, `http://host:port` (no path). */
  readonly url: string;
}

/** Typed aggregator configuration; also the DI token (tests construct it directly). */
export abstract class AggregatorConfig {
  abstract readonly port: number;
  abstract readonly host: string;
  /** The collectors' port, for URLs built from pod IPs. */
  abstract readonly daemonsetPort: number;
  /** Per-node deadline of a list or metadata call, and of a download's response headers. */
  abstract readonly nodeTimeoutMs: number;
  abstract readonly authDisabled: boolean;
  abstract readonly fakeK8s: boolean;
  /** Validated for symmetry with the collector; the collectors enforce RBAC, not the aggregator. */
  abstract readonly authMode: 'rbac' | 'authenticated';
  abstract readonly tokenAudiences: readonly string[];
  /** Heartbeat interval of /apiv1/cores/watch streams (KOREDUMP_WATCH_HEARTBEAT_S). */
  abstract readonly watchHeartbeatMs: number;
  /** Concurrent watch streams; more get 503 (KOREDUMP_WATCH_MAX_CLIENTS). */
  abstract readonly watchMaxClients: number;
  abstract readonly authCacheTtlMs: number;
  abstract readonly logFormat: 'text' | 'json';
  /** A static list of collectors; undefined: discover the collector pods through the API. */
  abstract readonly collectors?: readonly StaticCollector[];
  /** Label selector of the collector pods (pod discovery). */
  abstract readonly collectorSelector: string;
  /** Namespace of the collector pods; undefined: all namespaces (pod discovery). */
  abstract readonly collectorNamespace?: string;
  /** KOREDUMP_METRICS (default on): GET /metrics, exempt from token auth like the probes. */
  abstract readonly metricsEnabled: boolean;
}

export class ConfigError extends Error {}

export interface LoadOptions {
  /** Reads the service account namespace file (tests replace it). */
  readFile?: (path: string) => string;
  /** This host's name (tests replace it). */
  hostName?: string;
}

/** Parses `node-a=http://10.0.0.1:5001,node-b=http://10.0.0.2:5001`; pushes problems. */
export function parseCollectors(value: string, problems: string[]): StaticCollector[] {
  const out: StaticCollector[] = [];
  const seen = new Set<string>();
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const bad = (why: string): void => {
      problems.push(`KOREDUMP_COLLECTORS: ${JSON.stringify(entry)}: ${why}`);
    };
    if (eq < 0) {
      bad('expected <node>=<url>');
      continue;
    }
    const node = entry.slice(0, eq).trim();
    const urlText = entry.slice(eq + 1).trim();
    if (!isValidNodeName(node)) {
      bad(`"${node}" is not a valid node name (a DNS-1123 subdomain)`);
      continue;
    }
    if (seen.has(node)) {
      bad(`node "${node}" is listed twice`);
      continue;
    }
    let url: URL;
    try {
      url = new URL(urlText);
    } catch {
      bad(`"${urlText}" is not a URL`);
      continue;
    }
    if (url.protocol !== 'http:') {
      bad('only http:// URLs are supported');
      continue;
    }
    if (url.username || url.password || url.search || url.hash || url.pathname !== '/') {
      bad('the URL must be http://<host>:<port> with no path, query or credentials');
      continue;
    }
    seen.add(node);
    out.push({ node, url: url.origin });
  }
  if (value.trim() !== '' && out.length === 0 && problems.length === 0) {
    problems.push('KOREDUMP_COLLECTORS: no collectors listed');
  }
  return out;
}

/** Validates `env` and maps it to an AggregatorConfig; throws one ConfigError listing every bad variable. */
export function loadAggregatorConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): AggregatorConfig {
  const { parsed, problems } = parseEnv(AggregatorEnv, env);
  const fakeK8s = parsed.FAKE_K8S === '1';

  let collectors: StaticCollector[] | undefined;
  if (parsed.KOREDUMP_COLLECTORS !== undefined) {
    collectors = parseCollectors(parsed.KOREDUMP_COLLECTORS, problems);
  } else if (fakeK8s) {
    // No API to discover pods: this host's collector, as the original's FAKE_K8S did.
    const node = (options.hostName ?? hostname()).toLowerCase();
    if (isValidNodeName(node)) {
      collectors = [{ node, url: `http://127.0.0.1:${parsed.KOREDUMP_DAEMONSET_PORT}` }];
    } else {
      problems.push(
        `FAKE_K8S=1 without KOREDUMP_COLLECTORS: the host name "${node}" is not a valid node name; set KOREDUMP_COLLECTORS=<node>=http://127.0.0.1:5001`,
      );
    }
  }

  const selector = parsed.KOREDUMP_COLLECTOR_SELECTOR;
  const selectorProblem = labelSelectorProblem(selector);
  if (selectorProblem) {
    problems.push(`KOREDUMP_COLLECTOR_SELECTOR=${JSON.stringify(selector)}: ${selectorProblem}`);
  }

  let collectorNamespace: string | undefined;
  if (parsed.KOREDUMP_NAMESPACE !== undefined) {
    if (parsed.KOREDUMP_NAMESPACE === '*') collectorNamespace = undefined;
    else if (isValidNamespace(parsed.KOREDUMP_NAMESPACE)) {
      collectorNamespace = parsed.KOREDUMP_NAMESPACE;
    } else {
      problems.push(
        `KOREDUMP_NAMESPACE=${JSON.stringify(parsed.KOREDUMP_NAMESPACE)}: must be a namespace name (DNS-1123 label) or * for all namespaces`,
      );
    }
  } else if (!collectors) {
    // In a pod: its own namespace (where the chart puts the DaemonSet too); elsewhere all.
    const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
    try {
      const ns = read(
        `${env.KOREDUMP_IN_CLUSTER_ROOT ?? ''}${SERVICE_ACCOUNT_NAMESPACE_FILE}`,
      ).trim();
      if (isValidNamespace(ns)) collectorNamespace = ns;
    } catch {
      // not in a pod: every namespace
    }
  }

  if (problems.length) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return {
    ...serverSettings(parsed),
    port: parsed.PORT,
    daemonsetPort: parsed.KOREDUMP_DAEMONSET_PORT,
    nodeTimeoutMs: parsed.KOREDUMP_NODE_TIMEOUT_MS,
    collectors,
    collectorSelector: selector,
    collectorNamespace,
  };
}
