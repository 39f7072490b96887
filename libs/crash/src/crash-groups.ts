import type { SignatureFrame } from './signature.js';

/** A core of a group, to find it with (`koredumpctl get NODE ID`). */
export interface CrashExample {
  node: string;
  id: string;
  /** Crash time, epoch milliseconds. */
  timestamp: number;
}

/** All cores sharing one signature: GET /apiv1/crashgroups. */
export interface CrashGroup {
  signature: string;
  count: number;
  /** Earliest and latest crash, ISO-8601 UTC. */
  firstSeen: string;
  lastSeen: string;
  executable: string;
  signal?: string;
  nodes: string[];
  namespaces: string[];
  /** `namespace/Kind/name` of the pods' controllers (`namespace/Pod/name` for bare pods). */
  workloads: string[];
  images: string[];
  /** The most recent cores, newest first, at most MAX_EXAMPLES. */
  examples: CrashExample[];
  topFrames: SignatureFrame[];
}

/** One core as grouping needs it. */
export interface GroupableCore {
  signature: string;
  node: string;
  id: string;
  timestamp: number;
  executable: string;
  signal?: string;
  namespace?: string;
  workload?: string;
  image?: string;
  topFrames: SignatureFrame[];
}

export type CrashGroupOrder = 'lastSeen' | 'count';

export const MAX_EXAMPLES = 5;
/** Values listed per set (nodes, namespaces, workloads, images); the first ones in sort order. */
export const MAX_GROUP_VALUES = 100;

interface Accumulated {
  signature: string;
  count: number;
  first: number;
  last: number;
  executable: string;
  signal?: string;
  nodes: Set<string>;
  namespaces: Set<string>;
  workloads: Set<string>;
  images: Set<string>;
  examples: CrashExample[];
  topFrames: SignatureFrame[];
}

function newer(a: CrashExample, b: CrashExample): number {
  return b.timestamp - a.timestamp || a.node.localeCompare(b.node) || a.id.localeCompare(b.id);
}

function addAll(set: Set<string>, values: Iterable<string | undefined>): void {
  for (const v of values) if (v) set.add(v);
}

function sortedValues(set: Set<string>): string[] {
  return [...set].sort().slice(0, MAX_GROUP_VALUES);
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

/**
 * Pure accumulation of crash groups, from single cores (a collector) or from whole groups (the
 * aggregator merging its collectors' answers): the same signature makes one group. The result
 * does not depend on the order things were added in.
 */
export class CrashGroupAccumulator {
  private readonly groups = new Map<string, Accumulated>();

  addCore(core: GroupableCore): void {
    const g = this.groupFor(core.signature, core.timestamp, core);
    g.count += 1;
    if (core.node) g.nodes.add(core.node);
    if (core.namespace) g.namespaces.add(core.namespace);
    if (core.workload) g.workloads.add(core.workload);
    if (core.image) g.images.add(core.image);
    this.addExamples(g, [{ node: core.node, id: core.id, timestamp: core.timestamp }]);
  }

  addGroup(group: CrashGroup): void {
    const first = Date.parse(group.firstSeen);
    const last = Date.parse(group.lastSeen);
    const g = this.groupFor(group.signature, Number.isNaN(first) ? last : first, group);
    g.count += group.count;
    if (!Number.isNaN(first)) g.first = Math.min(g.first, first);
    if (!Number.isNaN(last)) g.last = Math.max(g.last, last);
    addAll(g.nodes, group.nodes);
    addAll(g.namespaces, group.namespaces);
    addAll(g.workloads, group.workloads);
    addAll(g.images, group.images);
    this.addExamples(g, group.examples);
  }

  /** The groups, sorted: newest lastSeen first, or largest count first. */
  result(order: CrashGroupOrder = 'lastSeen', limit = Infinity): CrashGroup[] {
    const all = [...this.groups.values()].sort((a, b) =>
      order === 'count'
        ? b.count - a.count || b.last - a.last || a.signature.localeCompare(b.signature)
        : b.last - a.last || b.count - a.count || a.signature.localeCompare(b.signature),
    );
    return all.slice(0, limit).map((g) => ({
      signature: g.signature,
      count: g.count,
      firstSeen: isoTime(g.first),
      lastSeen: isoTime(g.last),
      executable: g.executable,
      ...(g.signal ? { signal: g.signal } : {}),
      nodes: sortedValues(g.nodes),
      namespaces: sortedValues(g.namespaces),
      workloads: sortedValues(g.workloads),
      images: sortedValues(g.images),
      examples: g.examples,
      topFrames: g.topFrames,
    }));
  }

  private groupFor(
    signature: string,
    time: number,
    from: { executable: string; signal?: string; topFrames: SignatureFrame[] },
  ): Accumulated {
    let g = this.groups.get(signature);
    if (!g) {
      g = {
        signature,
        count: 0,
        first: time,
        last: time,
        executable: from.executable,
        signal: from.signal,
        nodes: new Set(),
        namespaces: new Set(),
        workloads: new Set(),
        images: new Set(),
        examples: [],
        topFrames: from.topFrames,
      };
      this.groups.set(signature, g);
    }
    if (time < g.first) g.first = time;
    if (time > g.last) g.last = time;
    return g;
  }

  private addExamples(g: Accumulated, examples: readonly CrashExample[]): void {
    if (examples.length === 0) return;
    g.examples = [...g.examples, ...examples].sort(newer).slice(0, MAX_EXAMPLES);
  }
}

/** Groups single cores by signature (a collector's answer). */
export function groupCores(
  cores: Iterable<GroupableCore>,
  order: CrashGroupOrder = 'lastSeen',
  limit?: number,
): CrashGroup[] {
  const acc = new CrashGroupAccumulator();
  for (const core of cores) acc.addCore(core);
  return acc.result(order, limit);
}

/** Merges groups from several sources (the aggregator's collectors): one group per signature. */
export function mergeCrashGroups(
  lists: Iterable<readonly CrashGroup[]>,
  order: CrashGroupOrder = 'lastSeen',
  limit?: number,
): CrashGroup[] {
  const acc = new CrashGroupAccumulator();
  for (const list of lists) for (const group of list) acc.addGroup(group);
  return acc.result(order, limit);
}

/** `namespace/Kind/name` of a core's controller, `namespace/Pod/name` without one. */
export function workloadName(core: {
  namespace?: string;
  pod?: string;
  workload?: { kind: string; name: string };
}): string | undefined {
  if (!core.namespace) return undefined;
  if (core.workload) return `${core.namespace}/${core.workload.kind}/${core.workload.name}`;
  return core.pod ? `${core.namespace}/Pod/${core.pod}` : undefined;
}
