import { splitCommandLine } from './cmdline.js';

/**
 * Kubernetes identity recovered from CRI-O's conmon command line
 * (`COREDUMP_CONTAINER_CMDLINE`). Every field is optional: only what the line states is set.
 */
export interface ConmonRef {
  /** Container name (from `-n k8s_…`, else the log path, else a plain `-n` name). */
  container?: string;
  /** Pod name. */
  pod?: string;
  /** Pod namespace. */
  namespace?: string;
  /** Pod UID as written by CRI-O (API form; a config hash for static pods). */
  podUID?: string;
  /** Container restart count (attempt), from the `-n` name or the `N.log` file name. */
  restartCount?: number;
  /** Container ID as passed with `-c`/`--cid`. */
  containerID?: string;
}

// Options whose value we want, in short and long form. conmon parses its options with GLib's
// GOption, which accepts `-c ID`, `--cid ID` and `--cid=ID`.
const OPTION_KEYS: Readonly<Record<string, 'cid' | 'name' | 'log'>> = {
  '-c': 'cid',
  '--cid': 'cid',
  '-n': 'name',
  '--name': 'name',
  '-l': 'log',
  '--log-path': 'log',
};

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** Parse a CRI-O container name `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`. */
function parseK8sName(name: string): ConmonRef | null {
  const parts = name.split('_');
  // Pod, namespace and container names are DNS labels/subdomains and cannot contain '_', so a
  // well-formed name has exactly six parts; anything else is not trusted as k8s identity.
  if (parts.length !== 6 || parts[0] !== 'k8s' || parts.some((p) => p === '')) return null;
  const [, container, pod, namespace, podUID, attempt] = parts;
  if (!DECIMAL.test(attempt)) return null;
  return { container, pod, namespace, podUID, restartCount: Number(attempt) };
}

/**
 * Parse kubelet's container log path `/var/log/pods/<ns>_<pod>_<uid>/<container>/<N>.log`.
 * conmon also accepts `driver:path` (e.g. `k8s-file:/var/log/…`), so a driver prefix is dropped.
 */
function parseLogPath(value: string): ConmonRef | null {
  const path = value.replace(/^[a-z0-9-]+:(?=\/)/, '');
  const segs = path.split('/');
  if (segs.length < 3) return null;
  const [dir, container, file] = segs.slice(-3);
  const parts = dir.split('_');
  if (parts.length !== 3 || parts.some((p) => p === '') || container === '') return null;
  const m = /^(0|[1-9][0-9]*)\.log$/.exec(file);
  if (!m) return null;
  const [namespace, pod, podUID] = parts;
  return { namespace, pod, podUID, container, restartCount: Number(m[1]) };
}

/**
 * Extract pod/container identity from a CRI-O conmon command line, as systemd-coredump records
 * it in `COREDUMP_CONTAINER_CMDLINE` (the first ancestor outside the container's mount
 * namespace). On containerd that ancestor is the shim, which carries no pod identity, so this
 * only ever helps on CRI-O.
 *
 * Reads `-n/--name` (`k8s_<container>_<pod>_<namespace>_<uid>_<restart>`), `-c/--cid` and
 * `-l/--log-path` (`/var/log/pods/<ns>_<pod>_<uid>/<container>/N.log`, used to fill what the
 * name did not give). A `-n` that is not in k8s form is taken as the container name.
 *
 * @param cmdline the command line, quoted as systemd writes it
 * @returns what could be extracted, or null when argv[0] is not conmon or nothing was found
 */
export function parseConmonCmdline(cmdline: string): ConmonRef | null {
  const argv = splitCommandLine(cmdline);
  if (argv.length === 0) return null;
  const argv0 = argv[0].split('/').pop();
  if (argv0 !== 'conmon') return null;

  let cid: string | undefined;
  let name: string | undefined;
  let fromLog: ConmonRef | null = null;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const key = OPTION_KEYS[eq === -1 ? arg : arg.slice(0, eq)];
    if (!key) continue;
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === '') continue;
    if (key === 'cid') cid ??= value;
    else if (key === 'name') name ??= value;
    // conmon accepts several log paths (one per driver); the first kubelet-shaped one counts.
    else fromLog ??= parseLogPath(value);
  }

  const fromName = name === undefined ? null : parseK8sName(name);
  const ref: ConmonRef = {};
  // The structured -n name is authoritative; the log path fills gaps; a plain name is the
  // weakest guess for the container name (podman and other non-k8s users of conmon).
  const container = fromName?.container ?? fromLog?.container ?? name;
  const pod = fromName?.pod ?? fromLog?.pod;
  const namespace = fromName?.namespace ?? fromLog?.namespace;
  const podUID = fromName?.podUID ?? fromLog?.podUID;
  const restartCount = fromName?.restartCount ?? fromLog?.restartCount;
  if (container !== undefined) ref.container = container;
  if (pod !== undefined) ref.pod = pod;
  if (namespace !== undefined) ref.namespace = namespace;
  if (podUID !== undefined) ref.podUID = podUID;
  if (restartCount !== undefined) ref.restartCount = restartCount;
  if (cid !== undefined) ref.containerID = cid;
  return Object.keys(ref).length > 0 ? ref : null;
}
