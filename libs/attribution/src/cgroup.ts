/** Container runtime, as told by the prefix of the container's cgroup leaf. */
export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker';

/** Kubernetes QoS class, as told by the kubepods cgroup level the pod sits under. */
export type QosClass = 'guaranteed' | 'burstable' | 'besteffort';

/** What a kubepods cgroup path says about the pod (and container) a process belongs to. */
export interface CgroupPodRef {
  /**
   * Pod UID as the API knows it: dashed lowercase 8-4-4-4-12 for normal pods; for static pods
   * kubelet's 32-hex config hash as is (match it against `kubernetes.io/config.hash`).
   */
  podUID: string;
  /** True when the UID is a 32-hex kubelet config hash (static pod, no dashes). */
  staticPod: boolean;
  /** 64 lowercase hex characters, when the cgroup leaf is a container (not the pod itself). */
  containerID?: string;
  /**
   * From the leaf prefix: `cri-containerd-`, `crio-`, `docker-`. Undefined for a bare hex leaf
   * (cgroupfs driver with containerd or docker) or an unknown prefix.
   */
  runtime?: ContainerRuntime;
  /** QoS class; the Guaranteed class has no cgroup level of its own. */
  qosClass: QosClass;
  /** The kubelet cgroup driver that produced the path. */
  driver: 'systemd' | 'cgroupfs';
}

// Kubernetes UIDs are lowercase RFC 4122 strings; kubelet never upper-cases them.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// In a systemd slice name '-' means nesting, so kubelet writes the UID with '_' instead.
const UUID_SYSTEMD = /^[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}$/;
// Static pods: the "UID" is the config hash (md5 hex), which has no dashes to escape.
const CONFIG_HASH = /^[0-9a-f]{32}$/;
const CONTAINER_ID = /^[0-9a-f]{64}$/;
const QOS_LEVELS: ReadonlySet<string> = new Set(['burstable', 'besteffort']);

const RUNTIME_PREFIXES: ReadonlyArray<readonly [string, ContainerRuntime]> = [
  ['cri-containerd-', 'containerd'],
  ['crio-', 'cri-o'],
  ['docker-', 'docker'],
];

/** The UID in API form, or null when the text is not a pod UID for this driver. */
function normalizeUid(
  text: string,
  driver: CgroupPodRef['driver'],
): { podUID: string; staticPod: boolean } | null {
  if (CONFIG_HASH.test(text)) return { podUID: text, staticPod: true };
  if (driver === 'systemd') {
    return UUID_SYSTEMD.test(text) ? { podUID: text.replace(/_/g, '-'), staticPod: false } : null;
  }
  return UUID.test(text) ? { podUID: text, staticPod: false } : null;
}

type Leaf =
  { kind: 'container'; containerID: string; runtime?: ContainerRuntime } | { kind: 'monitor' };

/**
 * Classify a segment below the pod cgroup: `[prefix-]<64hex>[.scope]`. `crio-conmon-<id>` is
 * CRI-O's monitor process, which lives in the pod cgroup but is not the workload, so it must
 * not be reported as the container. An unknown prefix still yields the ID (the shape is
 * unambiguous) but no runtime.
 */
function parseLeaf(segment: string): Leaf | null {
  const name = segment.endsWith('.scope') ? segment.slice(0, -'.scope'.length) : segment;
  if (name.startsWith('crio-conmon-')) {
    return CONTAINER_ID.test(name.slice('crio-conmon-'.length)) ? { kind: 'monitor' } : null;
  }
  if (CONTAINER_ID.test(name)) return { kind: 'container', containerID: name };
  for (const [prefix, runtime] of RUNTIME_PREFIXES) {
    if (name.startsWith(prefix)) {
      const id = name.slice(prefix.length);
      return CONTAINER_ID.test(id) ? { kind: 'container', containerID: id, runtime } : null;
    }
  }
  const m = /^[a-z0-9][a-z0-9-]*-([0-9a-f]{64})$/.exec(name);
  return m ? { kind: 'container', containerID: m[1] } : null;
}

/**
 * Parse the pod part that follows the kubepods segment at `segments[k]`.
 * Returns the ref and the index of the first segment after the pod cgroup.
 */
function parsePodLevels(
  segments: readonly string[],
  k: number,
): { ref: CgroupPodRef; next: number } | null {
  const top = segments[k];
  if (top === 'kubepods') {
    // cgroupfs: kubepods/[burstable|besteffort/]pod<UID>
    let i = k + 1;
    let qosClass: QosClass = 'guaranteed';
    if (QOS_LEVELS.has(segments[i] ?? '')) qosClass = segments[i++] as QosClass;
    const seg = segments[i] ?? '';
    if (!seg.startsWith('pod')) return null;
    const uid = normalizeUid(seg.slice('pod'.length), 'cgroupfs');
    return uid ? { ref: { ...uid, qosClass, driver: 'cgroupfs' }, next: i + 1 } : null;
  }

  // systemd: <p>kubepods.slice/[<p>kubepods-<qos>.slice/]<p>kubepods[-<qos>]-pod<UID>.slice,
  // where <p> is empty or '<cgroup-root>-' (kind uses --cgroup-root=/kubelet). Each child slice
  // name repeats its parent's name, which is checked so unrelated slices are not mistaken.
  const parent = top.slice(0, -'.slice'.length);
  let i = k + 1;
  let qosClass: QosClass = 'guaranteed';
  let podPrefix = `${parent}-pod`;
  const qm = /^(.*)-(burstable|besteffort)\.slice$/.exec(segments[i] ?? '');
  if (qm && qm[1] === parent) {
    qosClass = qm[2] as QosClass;
    podPrefix = `${parent}-${qosClass}-pod`;
    i++;
  }
  const seg = segments[i] ?? '';
  if (!seg.startsWith(podPrefix) || !seg.endsWith('.slice')) return null;
  const uid = normalizeUid(seg.slice(podPrefix.length, -'.slice'.length), 'systemd');
  return uid ? { ref: { ...uid, qosClass, driver: 'systemd' }, next: i + 1 } : null;
}

/**
 * Map a cgroup path to the pod (and container) it belongs to.
 *
 * Accepts cgroup v1 and v2 paths from either kubelet cgroup driver, with any prefix in front of
 * the kubepods segment (kind/k3d nesting, `--cgroup-root`):
 * - systemd: `…/kubepods.slice/[kubepods-<qos>.slice/]kubepods[-<qos>]-pod<U_I_D>.slice/<rt>-<CID>.scope`
 * - cgroupfs: `…/kubepods/[<qos>/]pod<UID>/[crio-]<CID>`
 *
 * Segments below the container leaf are allowed: a container in its own cgroup namespace may
 * create sub-cgroups (systemd in a container, docker-in-docker), and the workload is still the
 * container. The first kubepods hierarchy that parses wins, because that is the one the host's
 * kubelet (and so the host's collector) knows about.
 *
 * @param path a cgroup path such as `COREDUMP_CGROUP`
 * @returns the pod ref (without `containerID` for pod-level paths and CRI-O's conmon scope),
 *   or null for paths outside kubepods and for malformed input
 */
export function parseKubepodsCgroup(path: string): CgroupPodRef | null {
  if (typeof path !== 'string' || path.includes('\0')) return null;
  const segments = path.split('/').filter((s) => s !== '');
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k];
    if (seg !== 'kubepods' && !/^(?:.+-)?kubepods\.slice$/.test(seg)) continue;
    const pod = parsePodLevels(segments, k);
    if (!pod) continue;
    const leafSegment = segments[pod.next];
    if (leafSegment === undefined) return pod.ref;
    const leaf = parseLeaf(leafSegment);
    if (!leaf) return null;
    if (leaf.kind === 'monitor') return pod.ref;
    const ref: CgroupPodRef = { ...pod.ref, containerID: leaf.containerID };
    if (leaf.runtime) ref.runtime = leaf.runtime;
    return ref;
  }
  return null;
}

/**
 * Map `/proc/PID/cgroup` text (`COREDUMP_PROC_CGROUP`) to a pod ref.
 *
 * Lines are `hierarchy-ID:controllers:path` — one `0::/path` line on cgroup v2, one line per
 * controller on v1. On v1 any kubepods line works, but some controllers may sit at the pod level
 * or the root, so the first line that yields a container wins, else the first pod-level one.
 *
 * @param text contents of /proc/PID/cgroup
 * @returns the best pod ref, or null when no line is a kubepods path
 */
export function parseProcCgroup(text: string): CgroupPodRef | null {
  let podLevel: CgroupPodRef | null = null;
  for (const line of text.split(/\r?\n/)) {
    // The path is everything after the second ':' (a path could itself contain ':').
    const m = /^\d+:[^:]*:(.*)$/.exec(line.trim());
    if (!m) continue;
    const ref = parseKubepodsCgroup(m[1]);
    if (!ref) continue;
    if (ref.containerID) return ref;
    podLevel ??= ref;
  }
  return podLevel;
}
