import type { CgroupPodRef } from './cgroup.js';
import type { ConmonRef } from './conmon.js';
import type { AttributionSource, PodIndex, WorkloadOwner } from './pod-index.js';
import type { PodLogDir } from './pod-logs.js';

/** Everything known about a crashed process that can name its pod. All optional. */
export interface AttributionInput {
  /** From parseKubepodsCgroup / parseProcCgroup. */
  cgroup?: CgroupPodRef | null;
  /** From parseConmonCmdline (CRI-O only). */
  conmon?: ConmonRef | null;
  /** COREDUMP_HOSTNAME: the crashed process's UTS host name. */
  utsHostname?: string;
  /** The node's host name (journal _HOSTNAME). Without it the host name is never used. */
  nodeHostname?: string;
  /** Undefined when FAKE_K8S=1. */
  podIndex?: PodIndex;
  /** By podUID, from a directory listing of /var/log/pods when mounted. */
  podLogs?: ReadonlyMap<string, PodLogDir & { containers: readonly string[] }>;
}

/** Who crashed, and how that was found out (`source`). Fields are set only when known. */
export interface Attribution {
  source: AttributionSource;
  namespace?: string;
  pod?: string;
  /**
   * The pod's UID: `metadata.uid` when the API matched (for a static pod, its mirror pod's
   * UID), else the UID kubelet uses (a static pod's config hash).
   */
  podUID?: string;
  container?: string;
  /** 64 lowercase hex, without a runtime prefix. */
  containerID?: string;
  image?: string;
  imageID?: string;
  owner?: WorkloadOwner;
  /** The container's restart count (API), or the attempt conmon was started for. */
  restartCount?: number;
}

// A pod's host name is its name (or spec.hostname): lowercase DNS characters only.
const POD_HOSTNAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

function normalizeContainerID(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const sep = id.indexOf('://');
  const hex = (sep === -1 ? id : id.slice(sep + 3)).trim().toLowerCase();
  return hex === '' ? undefined : hex;
}

/** Drop undefined fields so records compare and serialize cleanly. */
function compact(a: Attribution): Attribution {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined) out[k] = v;
  return out as unknown as Attribution;
}

function sameHost(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  // `node-1` vs `node-1.example.internal`: the same machine named short and fully qualified.
  return x.split('.')[0] === y || y.split('.')[0] === x;
}

/**
 * The attribution fallback chain, strongest first. Never guesses: a field is only set when a
 * source states it.
 *
 * The pod UID and container ID come from the cgroup, else from conmon's command line (which is
 * ignored entirely when it names a different pod than the cgroup). Then:
 * 1. the pod index (`api`, `api-last-state` or `tombstone`);
 * 2. conmon's pod and namespace (`conmon`);
 * 3. the `/var/log/pods` directory of the UID (`pod-logs`); the container only when the
 *    directory has exactly one container, or conmon's container name is one of them;
 * 4. the UTS host name as the pod name (`hostname`), only for a process in a pod cgroup whose
 *    host name is not the node's (a hostNetwork pod shares the node's UTS name); no namespace;
 * 5. `none`, still carrying the pod UID and container ID when known.
 */
export function attribute(input: AttributionInput): Attribution {
  const { cgroup, podIndex, podLogs } = input;
  const podUID = (cgroup?.podUID ?? input.conmon?.podUID)?.toLowerCase() || undefined;
  const conmonUID = input.conmon?.podUID?.toLowerCase();
  const conmon =
    input.conmon && (podUID === undefined || conmonUID === undefined || conmonUID === podUID)
      ? input.conmon
      : undefined;
  const containerID = normalizeContainerID(cgroup?.containerID ?? conmon?.containerID);

  // 1) The API, by UID or static-pod config hash.
  const match = podUID !== undefined ? podIndex?.resolve(podUID, containerID) : undefined;
  if (match) {
    const id = match.identity;
    let container = id.container;
    // No container status matched (e.g. the crashed instance is older than lastState), but
    // conmon, which ran that very container, names it for the same pod: a statement, not a guess.
    if (
      container === undefined &&
      conmon?.container !== undefined &&
      (conmonUID === podUID || (conmon.namespace === id.namespace && conmon.pod === id.pod))
    ) {
      container = conmon.container;
    }
    return compact({
      source: match.source,
      namespace: id.namespace,
      pod: id.pod,
      podUID: id.podUID,
      container,
      containerID,
      image: id.image,
      imageID: id.imageID,
      owner: id.owner,
      restartCount: id.restartCount,
    });
  }

  // 2) CRI-O's conmon states the pod and namespace outright.
  if (conmon?.pod !== undefined && conmon.namespace !== undefined) {
    return compact({
      source: 'conmon',
      namespace: conmon.namespace,
      pod: conmon.pod,
      podUID,
      container: conmon.container,
      containerID,
      restartCount: conmon.restartCount,
    });
  }

  // 3) kubelet's log directory maps the UID to namespace and pod.
  const logs = podUID !== undefined ? podLogs?.get(podUID) : undefined;
  if (logs) {
    let container: string | undefined;
    if (logs.containers.length === 1) container = logs.containers[0];
    else if (conmon?.container !== undefined && logs.containers.includes(conmon.container)) {
      container = conmon.container;
    }
    return compact({
      source: 'pod-logs',
      namespace: logs.namespace,
      pod: logs.pod,
      podUID,
      container,
      containerID,
    });
  }

  // 4) The UTS host name: the pod name unless spec.hostname is set; not unique across
  // namespaces, so no namespace. A hostNetwork pod (or a host process) has the node's name.
  const uts = input.utsHostname;
  const node = input.nodeHostname;
  if (
    podUID !== undefined &&
    uts !== undefined &&
    POD_HOSTNAME.test(uts) &&
    node !== undefined &&
    node !== '' &&
    !sameHost(uts, node)
  ) {
    return compact({ source: 'hostname', pod: uts, podUID, containerID });
  }

  return compact({ source: 'none', podUID, containerID });
}
