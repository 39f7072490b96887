import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

import { parseQuantity } from './quantity.js';

/** How an attribution was made, strongest first. */
export type AttributionSource =
  'api' | 'api-last-state' | 'tombstone' | 'conmon' | 'pod-logs' | 'hostname' | 'none';

/** The workload that owns a pod: its controller, with a ReplicaSet lifted to its Deployment. */
export interface WorkloadOwner {
  kind: string;
  name: string;
}

/** What the API says about a pod, and the container when one was matched. */
export interface PodIdentity {
  namespace: string;
  pod: string;
  /** `metadata.uid` of the API object (for a static pod: the mirror pod's UID, not the hash). */
  podUID: string;
  /** Set only when a container status matched the container ID; never guessed. */
  container?: string;
  /** The image as requested (the spec's image for that container, else the status's). */
  image?: string;
  /** The resolved image (digest), as the container status reports it. */
  imageID?: string;
  restartCount?: number;
  owner?: WorkloadOwner;
  hostNetwork?: boolean;
}

/** The sources where the Kubernetes API named the pod (only then is its uid certain). */
export type ApiAttributionSource = 'api' | 'api-last-state' | 'tombstone';

const API_SOURCES: ReadonlySet<AttributionSource> = new Set<ApiAttributionSource>([
  'api',
  'api-last-state',
  'tombstone',
]);

/** Whether the Kubernetes API named the pod (not conmon, pod log directories or the hostname). */
export function isApiAttribution(source: AttributionSource): source is ApiAttributionSource {
  return API_SOURCES.has(source);
}

export interface PodMatch {
  identity: PodIdentity;
  source: ApiAttributionSource;
}

/** The largest container memory limit among the running pods on the node. */
export interface LargestMemoryLimit {
  bytes: number;
  /** The quantity as the pod spec writes it, e.g. `2Gi`. */
  quantity: string;
  /** namespace/name */
  pod: string;
  container: string;
}

export interface MemoryLimits {
  largest?: LargestMemoryLimit;
  /** Running pods with at least one container without a memory limit (they may use the node's memory). */
  podsWithoutLimit: number;
}

export interface PodIndexOptions {
  /** How long a deleted pod still resolves. Default 10 minutes. */
  tombstoneTtlMs?: number;
  /** At most this many tombstones are kept; the oldest go first. Default 5000. */
  maxTombstones?: number;
  /** Clock in ms, for tests. Default `Date.now`. */
  now?: () => number;
}

const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

interface Tombstone {
  pod: V1Pod;
  deletedAt: number;
}

type StatusKind = 'containers' | 'initContainers' | 'ephemeralContainers';

/** Each status list with the spec list that declares its containers. */
function statusLists(pod: V1Pod): Array<[StatusKind, readonly V1ContainerStatus[]]> {
  const s = pod.status;
  return [
    ['containers', s?.containerStatuses ?? []],
    ['initContainers', s?.initContainerStatuses ?? []],
    ['ephemeralContainers', s?.ephemeralContainerStatuses ?? []],
  ];
}

/** The hex part of `<runtime>://<hex>` (or a bare ID), lowercased; undefined when empty. */
function idHex(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const sep = id.indexOf('://');
  const hex = (sep === -1 ? id : id.slice(sep + 3)).trim().toLowerCase();
  return hex === '' ? undefined : hex;
}

function uidOf(pod: V1Pod): string | undefined {
  const uid = pod.metadata?.uid;
  return uid ? uid.toLowerCase() : undefined;
}

function configHashOf(pod: V1Pod): string | undefined {
  const hash = pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
  return hash ? hash.toLowerCase() : undefined;
}

/** Only pods the index can name are kept: a UID, a name and a namespace. */
function indexable(pod: V1Pod): string | undefined {
  const uid = uidOf(pod);
  return uid && pod.metadata?.name && pod.metadata.namespace ? uid : undefined;
}

/**
 * The controller owner (else the first owner reference). A ReplicaSet named
 * `<deployment>-<pod-template-hash>` is reported as its Deployment; that is the naming the
 * Deployment controller uses, and it saves a ReplicaSet lookup. A mirror pod without owner
 * references is owned by its node, as newer kubelets state in the reference itself.
 */
export function workloadOwnerOf(pod: V1Pod): WorkloadOwner | undefined {
  const refs = pod.metadata?.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller === true) ?? refs[0];
  if (!ref) {
    const mirror = pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;
    const node = pod.spec?.nodeName;
    return mirror && node ? { kind: 'Node', name: node } : undefined;
  }
  if (ref.kind === 'ReplicaSet' && /^apps\//.test(ref.apiVersion ?? 'apps/v1')) {
    const hash = pod.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
    if (hash && ref.name.length > hash.length + 1 && ref.name.endsWith(`-${hash}`)) {
      return { kind: 'Deployment', name: ref.name.slice(0, -(hash.length + 1)) };
    }
  }
  return { kind: ref.kind, name: ref.name };
}

function podIdentity(pod: V1Pod): PodIdentity {
  const meta = pod.metadata ?? {};
  const identity: PodIdentity = {
    namespace: meta.namespace ?? '',
    pod: meta.name ?? '',
    podUID: meta.uid ?? '',
  };
  const owner = workloadOwnerOf(pod);
  if (owner) identity.owner = owner;
  if (pod.spec) identity.hostNetwork = pod.spec.hostNetwork === true;
  return identity;
}

/** The image the spec requests for a container, looking in its own list first. */
function specImage(pod: V1Pod, kind: StatusKind, name: string): string | undefined {
  const spec = pod.spec;
  if (!spec) return undefined;
  const lists = {
    containers: spec.containers ?? [],
    initContainers: spec.initContainers ?? [],
    ephemeralContainers: spec.ephemeralContainers ?? [],
  };
  const order: StatusKind[] = [
    kind,
    ...(['containers', 'initContainers', 'ephemeralContainers'] as const).filter((k) => k !== kind),
  ];
  for (const k of order) {
    const image = lists[k].find((c) => c.name === name)?.image;
    if (image) return image;
  }
  return undefined;
}

function withContainer(
  identity: PodIdentity,
  pod: V1Pod,
  kind: StatusKind,
  status: V1ContainerStatus,
): PodIdentity {
  const out: PodIdentity = { ...identity, container: status.name };
  const image = specImage(pod, kind, status.name) ?? (status.image || undefined);
  if (image) out.image = image;
  if (status.imageID) out.imageID = status.imageID;
  if (typeof status.restartCount === 'number') out.restartCount = status.restartCount;
  return out;
}

/**
 * Match a container ID against a pod's container statuses: first the current instances
 * (`containerID`, and `state.terminated` for a container that has not restarted), then the
 * previous instance of each (`lastState.terminated`), which is where a crashed container's ID
 * is once kubelet has restarted it.
 */
function matchContainer(
  pod: V1Pod,
  containerID: string,
): { kind: StatusKind; status: V1ContainerStatus; lastState: boolean } | undefined {
  const lists = statusLists(pod);
  for (const [kind, statuses] of lists) {
    for (const status of statuses) {
      if (
        idHex(status.containerID) === containerID ||
        idHex(status.state?.terminated?.containerID) === containerID
      ) {
        return { kind, status, lastState: false };
      }
    }
  }
  for (const [kind, statuses] of lists) {
    for (const status of statuses) {
      if (idHex(status.lastState?.terminated?.containerID) === containerID) {
        return { kind, status, lastState: true };
      }
    }
  }
  return undefined;
}

/**
 * Pods on this node, indexed strictly by `metadata.uid` and by the static-pod config hash
 * (`kubernetes.io/config.hash` on the mirror pod), plus short-lived tombstones of deleted pods
 * so that a crash processed just after its pod went away still resolves.
 *
 * Names are never used as keys: two pods called `web-0` in two namespaces cannot be confused.
 * Feed it from a pod informer (`upsert` on add/update, `remove` on delete, `replaceAll` after a
 * list). Pure: no I/O, the clock is injectable.
 */
export class PodIndex {
  private readonly live = new Map<string, V1Pod>();
  private readonly liveByHash = new Map<string, string>();
  // Insertion order is deletion order: the first entry is the oldest tombstone.
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly tombstonesByHash = new Map<string, string>();
  private readonly tombstoneTtlMs: number;
  private readonly maxTombstones: number;
  private readonly now: () => number;
  private changes = 0;

  constructor(opts: PodIndexOptions = {}) {
    this.tombstoneTtlMs = opts.tombstoneTtlMs ?? 10 * 60_000;
    this.maxTombstones = Math.max(0, opts.maxTombstones ?? 5000);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Increments on every change (upsert, remove, replaceAll that changed something); lets
   * callers re-attribute only when something changed. Tombstones expiring do not count.
   */
  get version(): number {
    return this.changes;
  }

  /** Live pods (tombstones not included). */
  get size(): number {
    return this.live.size;
  }

  /** Unexpired tombstones. */
  get tombstoneCount(): number {
    this.prune();
    return this.tombstones.size;
  }

  /**
   * The largest container memory limit among live pods that are not finished (a core of one of
   * their processes can be that big), and how many such pods have a container without a limit.
   * Counted: regular containers and restartable init containers (sidecars); other init
   * containers have finished once the pod runs. An unparseable quantity counts as no limit.
   */
  memoryLimits(): MemoryLimits {
    let largest: LargestMemoryLimit | undefined;
    let podsWithoutLimit = 0;
    for (const pod of this.live.values()) {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const containers: V1Container[] = [
        ...(pod.spec?.containers ?? []),
        ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
      ];
      let unlimited = false;
      for (const c of containers) {
        const quantity = c.resources?.limits?.memory;
        const bytes = quantity === undefined ? undefined : parseQuantity(String(quantity));
        if (bytes === undefined) {
          unlimited = true;
          continue;
        }
        if (!largest || bytes > largest.bytes) {
          largest = {
            bytes,
            quantity: String(quantity),
            pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
            container: c.name,
          };
        }
      }
      if (unlimited) podsWithoutLimit++;
    }
    return { largest, podsWithoutLimit };
  }

  /** Add or update a pod. Re-adding a pod whose UID is tombstoned brings it back to life. */
  upsert(pod: V1Pod): void {
    if (this.put(pod)) this.changes++;
  }

  /** A pod deleted from the API: kept as a tombstone for tombstoneTtlMs so a crash just before deletion still resolves. */
  remove(pod: V1Pod): void {
    const uid = uidOf(pod);
    if (!uid) return;
    // The delete event's object is the pod's final state; a placeholder without a status
    // (informer DeletedFinalStateUnknown) is worse than what we already had.
    const stored = this.live.get(uid) ?? this.tombstones.get(uid)?.pod;
    const given = indexable(pod) ? pod : undefined;
    const final = given && (given.status || !stored) ? given : (stored ?? given);
    if (!final) return;
    this.bury(uid, final);
    this.changes++;
  }

  /** After a (re)list: pods not in `pods` become tombstones, the rest are upserted. */
  replaceAll(pods: V1Pod[]): void {
    let changed = false;
    const keep = new Set<string>();
    for (const pod of pods) {
      const uid = indexable(pod);
      if (uid) keep.add(uid);
    }
    for (const [uid, pod] of [...this.live]) {
      if (!keep.has(uid)) {
        this.bury(uid, pod);
        changed = true;
      }
    }
    for (const pod of pods) {
      if (this.put(pod)) changed = true;
    }
    if (changed) this.changes++;
  }

  /**
   * Find a pod, and the container when the ID matches one of its statuses.
   *
   * @param podUID `metadata.uid` (dashed) OR a static pod's 32-hex kubelet config hash
   * @param containerID 64 hex (a `<runtime>://` prefix is tolerated), or undefined
   * @returns the identity and how it was found: `api` (a current container, or the pod alone
   *   when no container matched), `api-last-state` (the previous, usually crashed, instance of
   *   a restarted container) or `tombstone` (a recently deleted pod); undefined when unknown
   */
  resolve(podUID: string, containerID?: string): PodMatch | undefined {
    if (!podUID) return undefined;
    const key = podUID.toLowerCase();
    let pod = this.live.get(key);
    const hashUid = pod ? undefined : this.liveByHash.get(key);
    if (hashUid !== undefined) pod = this.live.get(hashUid);
    let tombstone = false;
    if (!pod) {
      this.prune();
      const t =
        this.tombstones.get(key) ?? this.tombstones.get(this.tombstonesByHash.get(key) ?? '');
      if (!t) return undefined;
      pod = t.pod;
      tombstone = true;
    }

    const identity = podIdentity(pod);
    const cid = idHex(containerID);
    const match = cid === undefined ? undefined : matchContainer(pod, cid);
    if (!match) return { identity, source: tombstone ? 'tombstone' : 'api' };
    return {
      identity: withContainer(identity, pod, match.kind, match.status),
      source: tombstone ? 'tombstone' : match.lastState ? 'api-last-state' : 'api',
    };
  }

  /** Store a live pod; returns whether anything changed. */
  private put(pod: V1Pod): boolean {
    const uid = indexable(pod);
    if (!uid) return false;
    const revived = this.unbury(uid);
    const prev = this.live.get(uid);
    if (prev === pod) return revived;
    const prevHash = prev ? configHashOf(prev) : undefined;
    const hash = configHashOf(pod);
    if (prevHash !== undefined && prevHash !== hash && this.liveByHash.get(prevHash) === uid) {
      this.liveByHash.delete(prevHash);
    }
    if (hash !== undefined) this.liveByHash.set(hash, uid);
    this.live.set(uid, pod);
    // An informer resync re-delivers unchanged objects: same resourceVersion, nothing new.
    const rv = pod.metadata?.resourceVersion;
    const same = prev !== undefined && rv !== undefined && prev.metadata?.resourceVersion === rv;
    return revived || !same;
  }

  /** Move a pod (live or not) to the tombstones. */
  private bury(uid: string, pod: V1Pod): void {
    const prev = this.live.get(uid);
    if (prev) {
      this.live.delete(uid);
      const hash = configHashOf(prev);
      if (hash !== undefined && this.liveByHash.get(hash) === uid) this.liveByHash.delete(hash);
    }
    // A second delete of the same pod refreshes its state but not its deletion time.
    const existing = this.tombstones.get(uid);
    if (existing) {
      const oldHash = configHashOf(existing.pod);
      if (oldHash !== undefined && this.tombstonesByHash.get(oldHash) === uid) {
        this.tombstonesByHash.delete(oldHash);
      }
      existing.pod = pod;
    } else {
      this.tombstones.set(uid, { pod, deletedAt: this.now() });
    }
    const hash = configHashOf(pod);
    if (hash !== undefined) this.tombstonesByHash.set(hash, uid);
    this.prune();
  }

  /** Drop a tombstone; returns whether there was one. */
  private unbury(uid: string): boolean {
    const t = this.tombstones.get(uid);
    if (!t) return false;
    this.tombstones.delete(uid);
    const hash = configHashOf(t.pod);
    if (hash !== undefined && this.tombstonesByHash.get(hash) === uid) {
      this.tombstonesByHash.delete(hash);
    }
    return true;
  }

  /** Expire tombstones older than the TTL, then cut the oldest beyond the cap. */
  private prune(): void {
    const now = this.now();
    for (const [uid, t] of [...this.tombstones]) {
      if (now - t.deletedAt >= this.tombstoneTtlMs) this.unbury(uid);
    }
    while (this.tombstones.size > this.maxTombstones) {
      const oldest = this.tombstones.keys().next();
      if (oldest.done) break;
      this.unbury(oldest.value);
    }
  }
}
