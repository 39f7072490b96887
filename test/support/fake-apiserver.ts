/**
 * A local HTTPS fake Kubernetes API server for end-to-end tests.
 *
 * It speaks the real wire format (real paths, real JSON objects, `Status` errors with the right
 * `reason`/`code`, chunked newline-delimited watch streams), so the real `@kubernetes/client-node`
 * and `kubectl get/create --raw` work against it unchanged. See
 * ../../../shared/reference/test-environment.md §1 for why there is no real kube-apiserver here.
 *
 * Authentication (every request, like the real API server):
 * - `Authorization: Bearer <serviceAccountToken>` is the service under test. It may do anything.
 * - A token registered with addToken() (not expired, audiences including
 *   https://kubernetes.default.svc) authenticates as that user, and the request is then authorized
 *   with the rules given to grant(): no rule -> 403 `Forbidden`, exactly like RBAC. This is what a
 *   CLI reaching the service proxy with the user's own token needs
 *   (`get services/proxy` in the namespace).
 * - Anything else -> 401 `Unauthorized`.
 *
 * Wire-format details that are faithful on purpose (code under test must cope with them):
 * - An unauthenticated TokenReview has NO `status.authenticated` field (Go's omitempty), only
 *   `status.user: {}` and `status.error`.
 * - Items of a PodList/EventList carry no `kind`/`apiVersion`; single objects and watch event
 *   objects do.
 * - Timestamps are RFC 3339 with second precision (`2026-01-01T00:00:00Z`).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type {
  CoreV1Event,
  V1ContainerStatus,
  V1OwnerReference,
  V1Pod,
} from '@kubernetes/client-node';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface FakeUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface RbacRule {
  verbs: string[];
  apiGroups: string[];
  /** 'pods', 'coredumps/download' (resource/subresource), '*' or '*\/subresource'. */
  resources: string[];
  /** undefined = cluster-wide (matches every namespace and cluster-scoped requests). */
  namespaces?: string[];
}

export interface FakeApiServerOptions {
  /** The token our service must present. Default: random. */
  serviceAccountToken?: string;
  /** Interval of BOOKMARK events on watches with allowWatchBookmarks=true. Default 5000 ms. */
  bookmarkIntervalMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (or the raw text when it is not JSON); undefined when empty or proxied. */
  body?: unknown;
  headers: http.IncomingHttpHeaders;
  at: number;
}

/** `T` as it looks on the wire: every Date is an RFC 3339 string. */
export type Wire<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export interface FakeApiServer {
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /** PEM of the CA that signed the server cert (SAN IP:127.0.0.1, DNS:localhost). */
  caCert: string;
  /** Requests without `Authorization: Bearer <this>` (or an addToken() token) get a 401 Status. */
  serviceAccountToken: string;
  /** Every request seen, in arrival order. Reset with `requests.length = 0`. */
  requests: RecordedRequest[];
  /** expired -> TokenReview unauthenticated with error containing 'token has expired'. */
  addToken(token: string, user: FakeUser, opts?: { expired?: boolean; audiences?: string[] }): void;
  /** Adds an RBAC rule for a user name or a group (used by SubjectAccessReview and by requests
   * made with addToken() tokens). */
  grant(user: string | { group: string }, rule: RbacRule): void;
  /** Removes every rule granted to this user name or group (a revoked RoleBinding). */
  revoke(user: string | { group: string }): void;
  /** Replaces all pods (emits ADDED/MODIFIED/DELETED watch events accordingly). */
  setPods(pods: V1Pod[]): void;
  /** ADDED or MODIFIED event; bumps resourceVersion. */
  upsertPod(pod: V1Pod): void;
  /** DELETED event. Throws when the pod does not exist. */
  deletePod(namespace: string, name: string): void;
  /** The stored pods, as on the wire. */
  pods(): Wire<V1Pod>[];
  /** Gracefully ends every open watch stream (the client sees a clean end and must reconnect).
   * With abrupt: true the sockets are reset instead (client-node's informer then reports an
   * error and stops). */
  dropWatches(opts?: { abrupt?: boolean }): void;
  /** The next watch from any resourceVersion issued so far gets an ERROR event (Status 410,
   * reason Expired) and is closed, forcing a relist; list continue tokens expire too.
   * Open watches are not touched: call dropWatches() to make the client re-watch now. */
  expireResourceVersion(): void;
  /** down: every connection is reset (as an unreachable API), including open watches. */
  setDown(down: boolean): void;
  /** Delay before every response (and before the headers of a watch). */
  setLatency(ms: number): void;
  /** Takes permissions away from the service under test: its requests matching a rule get 403
   * Forbidden (as RBAC without that grant), as user SERVICE_ACCOUNT_USER. [] restores all. */
  denyServiceAccount(rules: RbacRule[]): void;
  /** Routes `/api/v1/namespaces/{ns}/services/{svc}:{port}/proxy/{rest}` to targetUrl + rest.
   * Like the real API server, the Authorization header is removed; other headers, the query
   * string and both bodies are streamed through. https targets are not verified. */
  registerServiceProxy(
    namespace: string,
    service: string,
    port: number | string,
    targetUrl: string,
  ): void;
  /** Events created/patched through `/api/v1/namespaces/{ns}/events`, as on the wire. */
  events(): Wire<CoreV1Event>[];
  /** kubeconfig YAML with certificate-authority-data, the server url and a token user (default:
   * the service account token); current-context set. */
  writeKubeconfig(
    path: string,
    opts?: { token?: string; namespace?: string; user?: string },
  ): Promise<void>;
  /** Writes <prefix>/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace} (the
   * token without a trailing newline, as client-node sends the file content verbatim). Set the
   * returned env in process.env, then `kc.loadFromCluster(prefix)`. */
  writeInClusterFiles(
    prefix: string,
    opts?: { namespace?: string },
  ): Promise<{ env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string } }>;
  close(): Promise<void>;
}

export interface FakeContainer {
  name: string;
  image: string;
  /** 'containerd://<64hex>'; default: derived from the pod uid and the container name. */
  containerID?: string;
  imageID?: string;
  /** Adds lastState.terminated (exitCode 139, reason Error) with this containerID. */
  lastTerminatedContainerID?: string;
  restartCount?: number;
  /** resources.limits.memory, e.g. '2Gi' (default: no limits). */
  memoryLimit?: string;
}

export interface MakePodOptions {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  containers: FakeContainer[];
  initContainers?: FakeContainer[];
  ephemeralContainers?: FakeContainer[];
  hostNetwork?: boolean;
  /** Sets annotations kubernetes.io/config.hash + config.mirror, like a mirror pod. */
  staticHash?: string;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  labels?: Record<string, string>;
  /** Default 'Running'. */
  phase?: string;
}

export const API_AUDIENCE = 'https://kubernetes.default.svc';
/** The user name the service account token authenticates as (in Forbidden messages). */
export const SERVICE_ACCOUNT_USER = 'system:serviceaccount:koredump:koredump';

// ---------------------------------------------------------------------------------------------
// Helpers: JSON, Status, TLS
// ---------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** JSON.stringify with Dates as RFC 3339 (second precision), like the API server. */
function toJson(o: unknown): string {
  return JSON.stringify(o, function (this: Obj, key: string, value: unknown) {
    const orig = this[key];
    return orig instanceof Date ? rfc3339(orig) : value;
  });
}

function toWire<T>(o: T): Wire<T> {
  return JSON.parse(toJson(o)) as Wire<T>;
}

function clone<T>(o: T): T {
  return structuredClone(o);
}

function meta(o: Obj): Obj {
  if (!isObj(o.metadata)) o.metadata = {};
  return o.metadata as Obj;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

function getPath(o: unknown, dotted: string): unknown {
  let cur: unknown = o;
  for (const k of dotted.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message: string; field?: string }[];
}

function statusObj(code: number, reason: string, message: string, details?: StatusDetails): Obj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }
  toStatus(): Obj {
    return statusObj(this.code, this.reason, this.message, this.details);
  }
}

const badRequest = (msg: string): HttpError => new HttpError(400, 'BadRequest', msg);
const notFound = (kind: string, name: string): HttpError =>
  new HttpError(404, 'NotFound', `${kind} "${name}" not found`, { name, kind });

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

interface TlsMaterial {
  caCert: string;
  cert: string;
  key: string;
}

let tlsMaterial: Promise<TlsMaterial> | undefined;

/** CA + server cert, made once per process (module instance) with openssl; no files are kept. */
function getTlsMaterial(): Promise<TlsMaterial> {
  tlsMaterial ??= generateTls().catch((e: unknown) => {
    tlsMaterial = undefined;
    throw e;
  });
  return tlsMaterial;
}

function openssl(cwd: string, cmdline: string): Promise<void> {
  const args = cmdline.split(' ');
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${cmdline} failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

const CA_CNF = `[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = fake-kube-ca
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;
const SERVER_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = kube-apiserver
`;
const SERVER_EXT = `basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
authorityKeyIdentifier = keyid
`;

async function generateTls(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-apiserver-pki-'));
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  try {
    await writeFile(join(dir, 'ca.cnf'), CA_CNF);
    await writeFile(join(dir, 'srv.cnf'), SERVER_CNF);
    await writeFile(join(dir, 'srv.ext'), SERVER_EXT);
    await openssl(dir, `req -x509 -config ca.cnf ${ec} -days 3650 -keyout ca.key -out ca.crt`);
    await openssl(dir, `req -new -config srv.cnf ${ec} -keyout srv.key -out srv.csr`);
    await openssl(
      dir,
      'x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile srv.ext -out srv.crt',
    );
    const [caCert, cert, key] = await Promise.all(
      ['ca.crt', 'srv.crt', 'srv.key'].map((n) => readFile(join(dir, n), 'utf8')),
    );
    return { caCert, cert, key };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

type Matcher = (o: Obj) => boolean;

const POD_FIELDS: Record<string, (p: Obj) => string> = {
  'metadata.name': (p) => str(getPath(p, 'metadata.name')),
  'metadata.namespace': (p) => str(getPath(p, 'metadata.namespace')),
  'spec.nodeName': (p) => str(getPath(p, 'spec.nodeName')),
  'spec.restartPolicy': (p) => str(getPath(p, 'spec.restartPolicy')),
  'spec.schedulerName': (p) => str(getPath(p, 'spec.schedulerName')),
  'spec.serviceAccountName': (p) => str(getPath(p, 'spec.serviceAccountName')),
  'spec.hostNetwork': (p) => String(getPath(p, 'spec.hostNetwork') === true),
  'status.phase': (p) => str(getPath(p, 'status.phase')),
  'status.podIP': (p) => str(getPath(p, 'status.podIP')),
  'status.nominatedNodeName': (p) => str(getPath(p, 'status.nominatedNodeName')),
};

const EVENT_FIELDS: Record<string, (e: Obj) => string> = Object.fromEntries(
  [
    'metadata.name',
    'metadata.namespace',
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ].map((k) => [
    k,
    (e: Obj) => (k === 'source' ? str(getPath(e, 'source.component')) : str(getPath(e, k))),
  ]),
);

function fieldMatcher(
  sel: string | undefined,
  fields: Record<string, (o: Obj) => string>,
): Matcher {
  if (!sel) return () => true;
  const terms = sel
    .split(',')
    .filter((t) => t.trim() !== '')
    .map((t) => {
      const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(t);
      if (!m) throw badRequest(`invalid selector: '${sel}'; can't understand '${t}'`);
      const [, key, op, value] = m as unknown as [string, string, string, string];
      const get = fields[key];
      if (!get) throw badRequest(`field label not supported: ${key}`);
      return (o: Obj) => (get(o) === value) === (op !== '!=');
    });
  return (o) => terms.every((t) => t(o));
}

function splitTopLevel(sel: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

const LABEL_KEY = '[A-Za-z0-9][-A-Za-z0-9_./]*';

function labelMatcher(sel: string | undefined): Matcher {
  if (!sel) return () => true;
  const reqs = splitTopLevel(sel).map((term): Matcher => {
    const labels = (o: Obj): Record<string, unknown> => {
      const l = getPath(o, 'metadata.labels');
      return isObj(l) ? l : {};
    };
    let m = new RegExp(`^(${LABEL_KEY})\\s+(in|notin)\\s+\\(([^)]*)\\)$`).exec(term);
    if (m) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      return (o) => {
        const v = labels(o)[key];
        const inSet = typeof v === 'string' && values.includes(v);
        return op === 'in' ? inSet : !inSet;
      };
    }
    m = new RegExp(`^!\\s*(${LABEL_KEY})$`).exec(term);
    if (m) {
      const key = m[1];
      return (o) => !(key in labels(o));
    }
    m = new RegExp(`^(${LABEL_KEY})\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`).exec(term);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return (o) => (labels(o)[key] === value) === (op !== '!=');
    }
    m = new RegExp(`^(${LABEL_KEY})$`).exec(term);
    if (m) {
      const key = m[1];
      return (o) => key in labels(o);
    }
    throw badRequest(`unable to parse requirement: ${term}`);
  });
  return (o) => reqs.every((r) => r(o));
}

// ---------------------------------------------------------------------------------------------
// RBAC
// ---------------------------------------------------------------------------------------------

interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

interface Grant {
  subject: { user: string } | { group: string };
  rule: RbacRule;
}

function ruleMatches(rule: RbacRule, a: ResourceAttributes): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(a.verb)) return false;
  if (!rule.apiGroups.includes('*') && !rule.apiGroups.includes(a.group)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resOk = rule.resources.some(
    (r) => r === '*' || r === combined || (a.subresource !== '' && r === `*/${a.subresource}`),
  );
  if (!resOk) return false;
  if (rule.namespaces === undefined) return true;
  return a.namespace !== '' && rule.namespaces.includes(a.namespace);
}

function forbiddenMessage(username: string, a: ResourceAttributes): string {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const subject = a.name ? `${a.resource} "${a.name}"` : res;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${username}" cannot ${a.verb} resource "${res}" in API group "${a.group}" ${scope}`;
}

/** metav1.Time fields have second precision on the wire (client-node sends milliseconds). */
function normalizeEventTimes(ev: Obj): void {
  for (const k of ['firstTimestamp', 'lastTimestamp']) {
    const v = ev[k];
    if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) ev[k] = rfc3339(new Date(v));
  }
}

// ---------------------------------------------------------------------------------------------
// Patches
// ---------------------------------------------------------------------------------------------

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function jsonPointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array');
  let root = clone(doc);
  const parentOf = (tokens: string[]): { parent: unknown; key: string } => {
    let cur: unknown = root;
    for (const t of tokens.slice(0, -1)) {
      cur = Array.isArray(cur) ? cur[Number(t)] : isObj(cur) ? cur[t] : undefined;
      if (cur === undefined) {
        throw new HttpError(422, 'Invalid', `path not found: /${tokens.join('/')}`);
      }
    }
    return { parent: cur, key: tokens[tokens.length - 1] };
  };
  const getAt = (tokens: string[]): unknown => {
    if (tokens.length === 0) return root;
    const { parent, key } = parentOf(tokens);
    return Array.isArray(parent) ? parent[Number(key)] : isObj(parent) ? parent[key] : undefined;
  };
  const remove = (tokens: string[]): unknown => {
    const { parent, key } = parentOf(tokens);
    if (Array.isArray(parent)) return parent.splice(Number(key), 1)[0];
    if (isObj(parent) && key in parent) {
      const v = parent[key];
      delete parent[key];
      return v;
    }
    throw new HttpError(422, 'Invalid', `path not found: /${tokens.join('/')}`);
  };
  const add = (tokens: string[], value: unknown, replace: boolean): void => {
    if (tokens.length === 0) {
      root = value;
      return;
    }
    const { parent, key } = parentOf(tokens);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (replace) parent[i] = value;
      else parent.splice(i, 0, value);
    } else if (isObj(parent)) {
      if (replace && !(key in parent)) {
        throw new HttpError(
          422,
          'Invalid',
          `replace operation does not apply: doc is missing key: /${tokens.join('/')}`,
        );
      }
      parent[key] = value;
    } else throw new HttpError(422, 'Invalid', `path not found: /${tokens.join('/')}`);
  };
  for (const op of ops) {
    if (!isObj(op)) throw badRequest('json patch operation must be an object');
    const path = jsonPointer(str(op.path));
    switch (op.op) {
      case 'add':
        add(path, clone(op.value), false);
        break;
      case 'replace':
        add(path, clone(op.value), true);
        break;
      case 'remove':
        remove(path);
        break;
      case 'test':
        if (toJson(getAt(path)) !== toJson(op.value)) {
          throw new HttpError(422, 'Invalid', `testing value /${path.join('/')} failed`);
        }
        break;
      case 'move':
        add(path, remove(jsonPointer(str(op.from))), false);
        break;
      case 'copy':
        add(path, clone(getAt(jsonPointer(str(op.from)))), false);
        break;
      default:
        throw badRequest(`unknown json patch operation: ${str(op.op)}`);
    }
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// makePod
// ---------------------------------------------------------------------------------------------

const OWNER_API_VERSIONS: Record<string, string> = {
  ReplicaSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  Deployment: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Node: 'v1',
  ReplicationController: 'v1',
};

/** 'busybox' -> docker.io/library/busybox:latest (what containerd reports in status.image). */
function qualifyImage(image: string): { repo: string; ref: string } {
  let repo = image.split('@')[0];
  let tag = 'latest';
  const colon = repo.lastIndexOf(':');
  if (colon > repo.lastIndexOf('/')) {
    tag = repo.slice(colon + 1);
    repo = repo.slice(0, colon);
  }
  const first = repo.split('/')[0];
  const hasRegistry =
    repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) repo = repo.includes('/') ? `docker.io/${repo}` : `docker.io/library/${repo}`;
  return { repo, ref: `${repo}:${tag}` };
}

/**
 * `token` authenticates a cluster admin (`username`, group system:masters), and system:masters
 * may do anything, as on a real cluster (where a built-in ClusterRoleBinding grants it).
 */
export function addClusterAdmin(api: FakeApiServer, token: string, username = 'admin'): void {
  api.addToken(token, { username, groups: ['system:masters'] });
  api.grant(
    { group: 'system:masters' },
    { verbs: ['*'], apiGroups: ['*'], resources: ['*', '*/*'] },
  );
}

/**
 * Points the apps started in this process (startCollector) at `api`: writes `<dir>/kubeconfig`
 * (the service account token) and sets process.env.KUBECONFIG to it, which @kubernetes/client-node
 * loads. Returns the path (built apps get it as KUBECONFIG). The suite's afterAll deletes
 * process.env.KUBECONFIG.
 */
export async function useKubeconfig(api: FakeApiServer, dir: string): Promise<string> {
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  process.env.KUBECONFIG = kubeconfig;
  return kubeconfig;
}

/** The aggregator's service account in the chart's namespace `koredump`. */
const AGGREGATOR_SERVICE_ACCOUNT = 'system:serviceaccount:koredump:koredump-aggregator';

/**
 * `token` authenticates the aggregator's service account, with what the chart grants it: review
 * tokens, and watch the collector pods in the namespace koredump.
 */
export function addAggregatorServiceAccount(api: FakeApiServer, token: string): void {
  api.addToken(token, {
    username: AGGREGATOR_SERVICE_ACCOUNT,
    groups: ['system:serviceaccounts'],
  });
  api.grant(AGGREGATOR_SERVICE_ACCOUNT, {
    verbs: ['create'],
    apiGroups: ['authentication.k8s.io'],
    resources: ['tokenreviews'],
  });
  api.grant(AGGREGATOR_SERVICE_ACCOUNT, {
    verbs: ['get', 'list', 'watch'],
    apiGroups: [''],
    resources: ['pods'],
    namespaces: ['koredump'],
  });
}

const MAKE_POD_EPOCH = Math.floor(Date.now() / 1000) * 1000;

/** A realistic Pod object, as kubelet + containerd would report it. */
export function makePod(p: MakePodOptions): V1Pod {
  // Fixed per process, so that makePod() twice with the same input gives the same object.
  const created = new Date(MAKE_POD_EPOCH - 120_000);
  const started = new Date(created.getTime() + 3000);
  const hex = (s: string): string => createHash('sha256').update(s).digest('hex');
  const phase = p.phase ?? 'Running';
  const hostIP = `10.0.0.${(parseInt(hex(p.nodeName).slice(0, 2), 16) % 250) + 2}`;
  const podIP = p.hostNetwork
    ? hostIP
    : `10.244.${parseInt(hex(p.uid).slice(0, 2), 16)}.${(parseInt(hex(p.uid).slice(2, 4), 16) % 250) + 2}`;

  const status = (c: FakeContainer, kind: 'c' | 'i' | 'e'): V1ContainerStatus => {
    const img = qualifyImage(c.image);
    const containerID = c.containerID ?? `containerd://${hex(`${p.uid}/${kind}/${c.name}`)}`;
    const s: V1ContainerStatus = {
      name: c.name,
      image: img.ref,
      imageID: c.imageID ?? `${img.repo}@sha256:${hex(c.image)}`,
      containerID,
      ready: kind !== 'e' && phase === 'Running',
      restartCount: c.restartCount ?? (c.lastTerminatedContainerID ? 1 : 0),
      started: kind !== 'i' && phase === 'Running',
      state: {},
      lastState: {},
    };
    if (kind === 'i' || phase === 'Succeeded') {
      s.state = {
        terminated: {
          exitCode: 0,
          reason: 'Completed',
          containerID,
          startedAt: started,
          finishedAt: new Date(started.getTime() + 1000),
        },
      };
      if (kind === 'i') s.ready = true;
    } else if (phase === 'Failed') {
      s.state = {
        terminated: {
          exitCode: 1,
          reason: 'Error',
          containerID,
          startedAt: started,
          finishedAt: new Date(started.getTime() + 1000),
        },
      };
    } else if (phase === 'Pending') {
      s.state = { waiting: { reason: 'ContainerCreating' } };
      if (!c.containerID) delete s.containerID;
    } else {
      s.state = { running: { startedAt: new Date(started.getTime() + 5000) } };
    }
    if (c.lastTerminatedContainerID) {
      s.lastState = {
        terminated: {
          exitCode: 139,
          reason: 'Error',
          containerID: c.lastTerminatedContainerID,
          startedAt: started,
          finishedAt: new Date(started.getTime() + 4000),
        },
      };
    }
    return s;
  };
  const containerSpec = (c: FakeContainer) => ({
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    resources: c.memoryLimit ? { limits: { memory: c.memoryLimit } } : {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  });

  const annotations: Record<string, string> = {};
  if (p.staticHash) {
    annotations['kubernetes.io/config.hash'] = p.staticHash;
    annotations['kubernetes.io/config.mirror'] = p.staticHash;
    annotations['kubernetes.io/config.seen'] = created.toISOString().replace('Z', '000000Z');
    annotations['kubernetes.io/config.source'] = 'file';
  }
  const ownerReferences: V1OwnerReference[] | undefined = p.ownerReferences?.map((o) => ({
    apiVersion: OWNER_API_VERSIONS[o.kind] ?? 'v1',
    kind: o.kind,
    name: o.name,
    uid: uuidFrom(`${p.namespace}/${o.kind}/${o.name}`),
    controller: o.controller ?? true,
    ...(o.kind === 'Node' ? {} : { blockOwnerDeletion: true }),
  }));
  const conditionTypes = [
    'PodReadyToStartContainers',
    'Initialized',
    'Ready',
    'ContainersReady',
    'PodScheduled',
  ];
  const running = phase === 'Running';

  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      resourceVersion: '1',
      creationTimestamp: created,
      ...(p.labels ? { labels: { ...p.labels } } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(ownerReferences ? { ownerReferences } : {}),
    },
    spec: {
      nodeName: p.nodeName,
      containers: p.containers.map(containerSpec),
      ...(p.initContainers ? { initContainers: p.initContainers.map(containerSpec) } : {}),
      ...(p.ephemeralContainers
        ? {
            ephemeralContainers: p.ephemeralContainers.map((c) => ({
              ...containerSpec(c),
              targetContainerName: p.containers[0]?.name,
            })),
          }
        : {}),
      ...(p.hostNetwork ? { hostNetwork: true } : {}),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: p.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      serviceAccountName: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase,
      conditions: conditionTypes.map((type) => ({
        type,
        status: running || type === 'PodScheduled' || type === 'Initialized' ? 'True' : 'False',
        lastProbeTime: undefined,
        lastTransitionTime: started,
      })),
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: created,
      qosClass: 'BestEffort',
      containerStatuses: p.containers.map((c) => status(c, 'c')),
      ...(p.initContainers
        ? { initContainerStatuses: p.initContainers.map((c) => status(c, 'i')) }
        : {}),
      ...(p.ephemeralContainers
        ? { ephemeralContainerStatuses: p.ephemeralContainers.map((c) => status(c, 'e')) }
        : {}),
    },
  };
  return pod;
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

interface TokenEntry {
  user: FakeUser;
  expired: boolean;
  audiences: string[];
}

interface HistoryEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object before the change (MODIFIED/DELETED) and after it (ADDED/MODIFIED/DELETED). */
  old?: Obj;
  obj: Obj;
}

interface WatchConn {
  res: http.ServerResponse;
  namespace: string | undefined;
  matches: Matcher;
  timers: NodeJS.Timeout[];
  closed: boolean;
}

type Caller = { kind: 'serviceAccount' } | { kind: 'user'; user: FakeUser };

interface Route {
  /** undefined = non-resource URL (discovery): every authenticated caller may use it. */
  attrs?: ResourceAttributes;
  run(): Promise<void> | void;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const VERB_BY_METHOD: Record<string, string> = {
  GET: 'get',
  HEAD: 'get',
  OPTIONS: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

const HISTORY_LIMIT = 10_000;

class FakeApiServerImpl implements FakeApiServer {
  url = '';
  port = 0;
  requests: RecordedRequest[] = [];

  private readonly server: https.Server;
  private readonly sockets = new Set<Socket>();
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly grants: Grant[] = [];
  private readonly podStore = new Map<string, Obj>();
  private readonly eventStore = new Map<string, Obj>();
  private readonly history: HistoryEvent[] = [];
  private readonly watches = new Set<WatchConn>();
  private readonly proxies = new Map<string, string>();
  private rv = 1000;
  /** Watches/continue tokens from a resourceVersion below this get 410 Expired. */
  private compactedRv = 0;
  private down = false;
  private latencyMs = 0;
  private serviceAccountDenied: RbacRule[] = [];
  private closed = false;

  constructor(
    readonly caCert: string,
    tls: TlsMaterial,
    readonly serviceAccountToken: string,
    private readonly bookmarkIntervalMs: number,
  ) {
    this.server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      this.onRequest(req, res).catch((e: unknown) => this.fail(res, e));
    });
    // 'connection' gives the raw TCP socket (before TLS); resetting it is a real connection reset.
    this.server.on('connection', (sock: Socket) => {
      if (this.down) {
        sock.resetAndDestroy();
        return;
      }
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    this.server.on('tlsClientError', () => undefined);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `https://127.0.0.1:${this.port}`;
  }

  // ---- test controls ------------------------------------------------------------------------

  addToken(
    token: string,
    user: FakeUser,
    opts?: { expired?: boolean; audiences?: string[] },
  ): void {
    this.tokens.set(token, {
      user: clone(user),
      expired: opts?.expired ?? false,
      audiences: opts?.audiences ?? [API_AUDIENCE],
    });
  }

  grant(user: string | { group: string }, rule: RbacRule): void {
    this.grants.push({ subject: typeof user === 'string' ? { user } : user, rule: clone(rule) });
  }

  revoke(user: string | { group: string }): void {
    const matches = (g: Grant): boolean =>
      typeof user === 'string'
        ? 'user' in g.subject && g.subject.user === user
        : 'group' in g.subject && g.subject.group === user.group;
    for (let i = this.grants.length - 1; i >= 0; i--) {
      if (matches(this.grants[i])) this.grants.splice(i, 1);
    }
  }

  setPods(pods: V1Pod[]): void {
    const next = new Map(pods.map((p) => [this.podKey(p), p] as const));
    for (const [key, old] of [...this.podStore]) {
      if (!next.has(key)) this.removePod(key, old);
    }
    for (const p of pods) this.upsertPod(p);
  }

  upsertPod(pod: V1Pod): void {
    const obj = toWire(pod) as Obj;
    obj.apiVersion = 'v1';
    obj.kind = 'Pod';
    const key = this.podKey(pod);
    const old = this.podStore.get(key);
    const m = meta(obj);
    if (old) {
      m.uid ??= meta(old).uid;
      m.creationTimestamp ??= meta(old).creationTimestamp;
      const strip = (o: Obj): string => {
        const c = clone(o);
        delete meta(c).resourceVersion;
        return toJson(c);
      };
      if (strip(old) === strip(obj)) return; // a no-op update: no event, no new resourceVersion
    }
    m.uid ??= randomUUID();
    m.creationTimestamp ??= rfc3339(new Date());
    m.resourceVersion = String(++this.rv);
    this.podStore.set(key, obj);
    this.publish({ rv: this.rv, type: old ? 'MODIFIED' : 'ADDED', old, obj });
  }

  deletePod(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const old = this.podStore.get(key);
    if (!old) throw new Error(`fake-apiserver: pod ${key} does not exist`);
    this.removePod(key, old);
  }

  pods(): Wire<V1Pod>[] {
    return [...this.podStore.values()].map((p) => clone(p) as Wire<V1Pod>);
  }

  events(): Wire<CoreV1Event>[] {
    return [...this.eventStore.values()].map((e) => clone(e) as Wire<CoreV1Event>);
  }

  dropWatches(opts?: { abrupt?: boolean }): void {
    for (const w of [...this.watches]) {
      if (opts?.abrupt) {
        // Reset the raw TCP socket under this TLS connection (matched by the client's port).
        const port = w.res.socket?.remotePort;
        this.closeWatch(w);
        for (const s of this.sockets) {
          if (s.remotePort === port) s.resetAndDestroy();
        }
      } else this.endWatch(w);
    }
  }

  expireResourceVersion(): void {
    this.rv++;
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  setDown(down: boolean): void {
    this.down = down;
    if (down) {
      for (const w of [...this.watches]) this.closeWatch(w);
      for (const s of [...this.sockets]) s.resetAndDestroy();
      this.sockets.clear();
    }
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  denyServiceAccount(rules: RbacRule[]): void {
    this.serviceAccountDenied = [...rules];
  }

  registerServiceProxy(
    namespace: string,
    service: string,
    port: number | string,
    targetUrl: string,
  ): void {
    this.proxies.set(`${namespace}/${service}:${port}`, targetUrl);
  }

  async writeKubeconfig(
    path: string,
    opts?: { token?: string; namespace?: string; user?: string },
  ): Promise<void> {
    const q = (s: string): string => JSON.stringify(s);
    const user = opts?.user ?? 'fake-user';
    const yaml = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake-cluster',
      '  cluster:',
      `    server: ${q(this.url)}`,
      `    certificate-authority-data: ${Buffer.from(this.caCert).toString('base64')}`,
      'users:',
      `- name: ${q(user)}`,
      '  user:',
      `    token: ${q(opts?.token ?? this.serviceAccountToken)}`,
      'contexts:',
      '- name: fake-context',
      '  context:',
      '    cluster: fake-cluster',
      `    user: ${q(user)}`,
      ...(opts?.namespace ? [`    namespace: ${q(opts.namespace)}`] : []),
      'current-context: fake-context',
      'preferences: {}',
      '',
    ].join('\n');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, yaml, { mode: 0o600 });
  }

  async writeInClusterFiles(
    prefix: string,
    opts?: { namespace?: string },
  ): Promise<{ env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string } }> {
    const dir = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'token'), this.serviceAccountToken, { mode: 0o600 });
    await writeFile(join(dir, 'ca.crt'), this.caCert);
    await writeFile(join(dir, 'namespace'), opts?.namespace ?? 'default');
    return {
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(this.port) },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) this.endWatch(w);
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await done;
  }

  // ---- pods and watch history ---------------------------------------------------------------

  private podKey(p: V1Pod | Obj): string {
    const m = (p.metadata ?? {}) as Obj;
    const ns = str(m.namespace);
    const name = str(m.name);
    if (!ns || !name) {
      throw new Error('fake-apiserver: a pod needs metadata.namespace and metadata.name');
    }
    return `${ns}/${name}`;
  }

  private removePod(key: string, old: Obj): void {
    this.podStore.delete(key);
    const obj = clone(old);
    meta(obj).resourceVersion = String(++this.rv);
    this.publish({ rv: this.rv, type: 'DELETED', old, obj });
  }

  private publish(ev: HistoryEvent): void {
    this.history.push(ev);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.compactedRv = Math.max(this.compactedRv, dropped[dropped.length - 1].rv);
    }
    for (const w of this.watches) {
      const out = this.eventFor(ev, w);
      if (out) this.writeEvent(w, out.type, out.object);
    }
  }

  /** What a watcher with this selector sees for the change (selector transitions become
   * ADDED/DELETED, like the real watch cache). */
  private eventFor(ev: HistoryEvent, w: WatchConn): { type: string; object: Obj } | undefined {
    const sel = (o: Obj | undefined): boolean =>
      o !== undefined &&
      (w.namespace === undefined || str(meta(o).namespace) === w.namespace) &&
      w.matches(o);
    const before = ev.type === 'ADDED' ? false : sel(ev.old);
    const after = ev.type === 'DELETED' ? false : sel(ev.obj);
    if (ev.type === 'DELETED') return before ? { type: 'DELETED', object: ev.obj } : undefined;
    if (before && after) return { type: 'MODIFIED', object: ev.obj };
    if (after) return { type: 'ADDED', object: ev.obj };
    if (before) return { type: 'DELETED', object: ev.obj };
    return undefined;
  }

  private writeEvent(w: WatchConn, type: string, object: Obj): void {
    if (w.closed) return;
    w.res.write(`${toJson({ type, object })}\n`);
  }

  /** Forgets the watch without touching its connection. */
  private closeWatch(w: WatchConn): void {
    w.closed = true;
    w.timers.forEach(clearTimeout);
    this.watches.delete(w);
  }

  private endWatch(w: WatchConn): void {
    if (w.closed) return;
    this.closeWatch(w);
    w.res.end();
  }

  // ---- HTTP plumbing ------------------------------------------------------------------------

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    if (res.headersSent || res.destroyed) return;
    const b = toJson(body);
    res.writeHead(code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(b),
      'Cache-Control': 'no-cache, private',
    });
    res.end(b);
  }

  private fail(res: http.ServerResponse, e: unknown): void {
    if (e instanceof HttpError) this.send(res, e.code, e.toStatus());
    else {
      this.send(res, 500, statusObj(500, 'InternalError', `Internal error occurred: ${String(e)}`));
    }
  }

  private async readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private authenticate(req: http.IncomingMessage): Caller {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (m) {
      const token = m[1].trim();
      if (token === this.serviceAccountToken) return { kind: 'serviceAccount' };
      const t = this.tokens.get(token);
      if (t && !t.expired && t.audiences.includes(API_AUDIENCE)) {
        return { kind: 'user', user: t.user };
      }
    }
    throw new HttpError(401, 'Unauthorized', 'Unauthorized');
  }

  private allowedBy(user: string, groups: string[], a: ResourceAttributes): Grant | undefined {
    return this.grants.find(
      (g) =>
        ('user' in g.subject ? g.subject.user === user : groups.includes(g.subject.group)) &&
        ruleMatches(g.rule, a),
    );
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'https://fake');
    const method = req.method ?? 'GET';
    const entry: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      at: Date.now(),
    };
    this.requests.push(entry);

    const proxy = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(\/.*)?$/.exec(
      url.pathname,
    );
    let body = '';
    if (!proxy) {
      body = await this.readBody(req);
      if (body !== '') {
        try {
          entry.body = JSON.parse(body);
        } catch {
          entry.body = body;
        }
      }
    }
    if (this.latencyMs > 0) await delay(this.latencyMs);
    if (this.down) {
      req.socket.destroy();
      return;
    }

    const caller = this.authenticate(req);
    let route: Route;
    if (proxy) {
      const ns = decodeURIComponent(proxy[1]);
      const svc = decodeURIComponent(proxy[2]);
      route = {
        attrs: {
          verb: VERB_BY_METHOD[method] ?? 'get',
          group: '',
          resource: 'services',
          subresource: 'proxy',
          namespace: ns,
          name: svc,
        },
        run: () => this.proxy(req, res, ns, svc, proxy[3] ?? '/', url.search),
      };
    } else {
      route = this.route(method, url, entry.body, req, res);
    }
    const attrs = route.attrs;
    if (
      caller.kind === 'serviceAccount' &&
      attrs &&
      this.serviceAccountDenied.some((rule) => ruleMatches(rule, attrs))
    ) {
      throw new HttpError(403, 'Forbidden', forbiddenMessage(SERVICE_ACCOUNT_USER, attrs), {
        ...(attrs.name ? { name: attrs.name } : {}),
        ...(attrs.group ? { group: attrs.group } : {}),
        kind: attrs.resource,
      });
    }
    if (caller.kind === 'user' && route.attrs) {
      const u = caller.user;
      if (!this.allowedBy(u.username, u.groups, route.attrs)) {
        throw new HttpError(403, 'Forbidden', forbiddenMessage(u.username, route.attrs), {
          ...(route.attrs.name ? { name: route.attrs.name } : {}),
          ...(route.attrs.group ? { group: route.attrs.group } : {}),
          kind: route.attrs.resource,
        });
      }
    }
    await route.run();
  }

  private route(
    method: string,
    url: URL,
    body: unknown,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Route {
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    const attrs = (
      verb: string,
      group: string,
      resource: string,
      namespace = '',
      name = '',
    ): ResourceAttributes => ({
      verb,
      group,
      resource,
      subresource: '',
      namespace,
      name,
    });
    const only = (allowed: string[], r: Route): Route =>
      allowed.includes(method)
        ? r
        : {
            run: () => {
              throw new HttpError(
                405,
                'MethodNotAllowed',
                `the server does not allow this method on the requested resource`,
              );
            },
          };
    const isWatch = q.get('watch') === 'true' || q.get('watch') === '1';
    let m: RegExpExecArray | null;

    // discovery
    if (p === '/version') return only(['GET'], { run: () => this.send(res, 200, this.version()) });
    if (p === '/api') return only(['GET'], { run: () => this.send(res, 200, this.apiVersions()) });
    if (p === '/apis') {
      return only(['GET'], { run: () => this.send(res, 200, this.apiGroupList()) });
    }
    if (p === '/api/v1') {
      return only(['GET'], { run: () => this.send(res, 200, this.resourceList('v1')) });
    }
    if ((m = /^\/apis\/([^/]+)$/.exec(p)) && GROUP_RESOURCES[m[1]]) {
      const g = m[1];
      return only(['GET'], {
        run: () => this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...this.group(g) }),
      });
    }
    if ((m = /^\/apis\/([^/]+)\/v1$/.exec(p)) && GROUP_RESOURCES[m[1]]) {
      const g = m[1];
      return only(['GET'], { run: () => this.send(res, 200, this.resourceList(`${g}/v1`)) });
    }

    // authentication / authorization
    if (p === '/apis/authentication.k8s.io/v1/tokenreviews') {
      return only(['POST'], {
        attrs: attrs('create', 'authentication.k8s.io', 'tokenreviews'),
        run: () => this.send(res, 201, this.tokenReview(body)),
      });
    }
    if (p === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
      return only(['POST'], {
        attrs: attrs('create', 'authorization.k8s.io', 'subjectaccessreviews'),
        run: () => this.send(res, 201, this.subjectAccessReview(body)),
      });
    }

    // pods
    if (p === '/api/v1/pods' || (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(p))) {
      const ns = m ? decodeURIComponent(m[1]) : undefined;
      return only(['GET'], {
        attrs: attrs(isWatch ? 'watch' : 'list', '', 'pods', ns),
        run: () =>
          isWatch ? this.watchPods(req, res, ns, q) : this.send(res, 200, this.listPods(ns, q)),
      });
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(p))) {
      const ns = decodeURIComponent(m[1]);
      const name = decodeURIComponent(m[2]);
      return only(['GET'], {
        attrs: attrs('get', '', 'pods', ns, name),
        run: () => {
          const pod = this.podStore.get(`${ns}/${name}`);
          if (!pod) throw notFound('pods', name);
          this.send(res, 200, pod);
        },
      });
    }

    // events
    if (p === '/api/v1/events' || (m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(p))) {
      const ns = m ? decodeURIComponent(m[1]) : undefined;
      if (method === 'POST' && ns !== undefined) {
        return {
          attrs: attrs('create', '', 'events', ns),
          run: () => this.send(res, 201, this.createEvent(ns, body)),
        };
      }
      return only(['GET'], {
        attrs: attrs('list', '', 'events', ns),
        run: () => this.send(res, 200, this.listEvents(ns, q)),
      });
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/events\/([^/]+)$/.exec(p))) {
      const ns = decodeURIComponent(m[1]);
      const name = decodeURIComponent(m[2]);
      const verb = VERB_BY_METHOD[method] ?? 'get';
      return only(['GET', 'PATCH', 'PUT', 'DELETE'], {
        attrs: attrs(verb, '', 'events', ns, name),
        run: () => this.eventItem(method, ns, name, body, req, res),
      });
    }

    return {
      run: () => {
        throw new HttpError(
          404,
          'NotFound',
          'the server could not find the requested resource',
          {},
        );
      },
    };
  }

  // ---- discovery ----------------------------------------------------------------------------

  private version(): Obj {
    return {
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0-fake',
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.23.0',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }

  private apiVersions(): Obj {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [
        { clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` },
      ],
    };
  }

  private group(name: string): Obj {
    const gv = { groupVersion: `${name}/v1`, version: 'v1' };
    return { name, versions: [gv], preferredVersion: gv };
  }

  private apiGroupList(): Obj {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: Object.keys(GROUP_RESOURCES).map((g) => this.group(g)),
    };
  }

  private resourceList(groupVersion: string): Obj {
    const group = groupVersion === 'v1' ? '' : groupVersion.replace(/\/v1$/, '');
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: group === '' ? CORE_RESOURCES : GROUP_RESOURCES[group],
    };
  }

  // ---- TokenReview / SubjectAccessReview ----------------------------------------------------

  private tokenReview(body: unknown): Obj {
    if (!isObj(body)) throw badRequest('the body of the request was in an unknown format');
    const spec = isObj(body.spec) ? body.spec : {};
    const requested =
      Array.isArray(spec.audiences) && spec.audiences.length > 0
        ? spec.audiences.map(str)
        : [API_AUDIENCE];
    const t = this.tokens.get(str(spec.token));
    const review = (status: Obj): Obj => ({
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status,
    });
    const unauthenticated = (why: string): Obj =>
      review({ user: {}, error: `[invalid bearer token, ${why}]` });
    if (!t) return unauthenticated('token lookup failed');
    if (t.expired) return unauthenticated('token has expired');
    const audiences = requested.filter((a) => t.audiences.includes(a));
    if (audiences.length === 0) {
      return unauthenticated(
        `token audiences ${JSON.stringify(t.audiences)} is invalid for the target audiences ${JSON.stringify(requested)}`,
      );
    }
    const u = t.user;
    return review({
      authenticated: true,
      user: {
        username: u.username,
        ...(u.uid !== undefined ? { uid: u.uid } : {}),
        groups: [...u.groups],
        ...(u.extra ? { extra: clone(u.extra) } : {}),
      },
      audiences,
    });
  }

  private subjectAccessReview(body: unknown): Obj {
    if (!isObj(body)) throw badRequest('the body of the request was in an unknown format');
    const spec = isObj(body.spec) ? body.spec : {};
    const user = str(spec.user);
    const groups = Array.isArray(spec.groups) ? spec.groups.map(str) : [];
    const invalid = (field: string, value: string, msg: string): HttpError =>
      new HttpError(
        422,
        'Invalid',
        `SubjectAccessReview.authorization.k8s.io "" is invalid: ${field}: Invalid value: ${value}: ${msg}`,
        {
          group: 'authorization.k8s.io',
          kind: 'SubjectAccessReview',
          causes: [
            { reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${msg}`, field },
          ],
        },
      );
    if (!user && groups.length === 0) {
      throw invalid('spec.user', '""', 'at least one of user or group must be specified');
    }
    const ra = spec.resourceAttributes;
    const nra = spec.nonResourceAttributes;
    if ((ra === undefined) === (nra === undefined)) {
      throw invalid(
        'spec.resourceAttributes',
        '"null"',
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      );
    }
    let status: Obj = { allowed: false };
    if (isObj(ra)) {
      const a: ResourceAttributes = {
        verb: str(ra.verb),
        group: str(ra.group),
        resource: str(ra.resource),
        subresource: str(ra.subresource),
        namespace: str(ra.namespace),
        name: str(ra.name),
      };
      const g = this.allowedBy(user, groups, a);
      if (g) {
        const who = 'user' in g.subject ? `User "${g.subject.user}"` : `Group "${g.subject.group}"`;
        status = { allowed: true, reason: `RBAC: allowed by fake grant to ${who}` };
      }
    }
    return {
      kind: 'SubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status,
    };
  }

  // ---- pods: list and watch -----------------------------------------------------------------

  private listPods(ns: string | undefined, q: URLSearchParams): Obj {
    const matches = this.podMatcher(ns, q);
    const items = [...this.podStore.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .filter(([, p]) => matches(p));
    return this.paginate('PodList', items, q);
  }

  private paginate(kind: string, sorted: [string, Obj][], q: URLSearchParams): Obj {
    let items = sorted;
    let rv = this.rv;
    const cont = q.get('continue');
    if (cont) {
      let tok: { rv?: unknown; start?: unknown };
      try {
        tok = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as typeof tok;
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
      if (typeof tok.rv !== 'number' || typeof tok.start !== 'string') {
        throw badRequest('continue key is not valid');
      }
      if (tok.rv < this.compactedRv) {
        throw new HttpError(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      rv = tok.rv;
      const start = tok.start;
      items = items.filter(([k]) => k > start);
    }
    const limit = Number(q.get('limit') ?? '0');
    const metadata: Obj = { resourceVersion: String(rv) };
    if (limit > 0 && items.length > limit) {
      const last = items[limit - 1][0];
      metadata.continue = Buffer.from(JSON.stringify({ rv, start: last })).toString('base64url');
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    return {
      kind,
      apiVersion: 'v1',
      metadata,
      // Items of a list carry no kind/apiVersion on the real wire.
      items: items.map(([, o]) => {
        const c = clone(o);
        delete c.kind;
        delete c.apiVersion;
        return c;
      }),
    };
  }

  private podMatcher(ns: string | undefined, q: URLSearchParams): Matcher {
    const f = fieldMatcher(q.get('fieldSelector') ?? undefined, POD_FIELDS);
    const l = labelMatcher(q.get('labelSelector') ?? undefined);
    return (p) => (ns === undefined || str(meta(p).namespace) === ns) && f(p) && l(p);
  }

  private watchPods(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ns: string | undefined,
    q: URLSearchParams,
  ): void {
    const f = fieldMatcher(q.get('fieldSelector') ?? undefined, POD_FIELDS);
    const l = labelMatcher(q.get('labelSelector') ?? undefined);
    const rvParam = q.get('resourceVersion') ?? '';
    const fromRv = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (fromRv !== undefined && !Number.isInteger(fromRv)) {
      throw badRequest(`invalid resource version: ${rvParam}`);
    }
    const timeout = Number(q.get('timeoutSeconds') ?? '0');
    const bookmarks = q.get('allowWatchBookmarks') === 'true';

    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    const w: WatchConn = {
      res,
      namespace: ns,
      matches: (o) => f(o) && l(o),
      timers: [],
      closed: false,
    };

    if (fromRv !== undefined && fromRv < this.compactedRv) {
      // Too old: what the watch cache answers (HTTP 200, then an ERROR event, then the end).
      this.writeEvent(
        w,
        'ERROR',
        statusObj(410, 'Expired', `too old resource version: ${fromRv} (${this.compactedRv})`),
      );
      res.end();
      return;
    }
    if (fromRv === undefined) {
      // No resourceVersion: synthetic ADDED events for the current state first.
      const sorted = [...this.podStore.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [, p] of sorted) {
        if ((ns === undefined || str(meta(p).namespace) === ns) && w.matches(p)) {
          this.writeEvent(w, 'ADDED', p);
        }
      }
    } else {
      for (const ev of this.history) {
        if (ev.rv <= fromRv) continue;
        const out = this.eventFor(ev, w);
        if (out) this.writeEvent(w, out.type, out.object);
      }
    }
    if (bookmarks && q.get('sendInitialEvents') === 'true') {
      this.writeEvent(w, 'BOOKMARK', this.bookmark(true));
    }
    this.watches.add(w);
    if (bookmarks) {
      const tick = (): void => {
        this.writeEvent(w, 'BOOKMARK', this.bookmark(false));
        w.timers[0] = setTimeout(tick, this.bookmarkIntervalMs);
      };
      w.timers[0] = setTimeout(tick, this.bookmarkIntervalMs);
    }
    if (timeout > 0) w.timers.push(setTimeout(() => this.endWatch(w), timeout * 1000));
    const cleanup = (): void => this.closeWatch(w);
    res.on('close', cleanup);
    req.on('close', () => {
      if (!res.writableFinished) cleanup();
    });
  }

  private bookmark(initialEventsEnd: boolean): Obj {
    return {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        resourceVersion: String(this.rv),
        ...(initialEventsEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}),
      },
    };
  }

  // ---- events -------------------------------------------------------------------------------

  private createEvent(ns: string, body: unknown): Obj {
    if (!isObj(body)) throw badRequest('the body of the request was in an unknown format');
    const ev = clone(body);
    const m = meta(ev);
    if (m.namespace !== undefined && m.namespace !== '' && m.namespace !== ns) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    let name = str(m.name);
    if (!name && m.generateName) {
      name = `${str(m.generateName)}${randomBytes(3).toString('hex').slice(0, 5)}`;
    }
    if (!name) {
      throw new HttpError(
        422,
        'Invalid',
        'Event "" is invalid: metadata.name: Required value: name or generateName is required',
        {
          kind: 'Event',
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
              field: 'metadata.name',
            },
          ],
        },
      );
    }
    // The API server's legacy validation of an Event without eventTime (as every core/v1
    // recorder sends): the involved object must be in the event's namespace.
    const involvedNs = str(getPath(ev, 'involvedObject.namespace'));
    if (ev.eventTime === undefined || ev.eventTime === null) {
      if (involvedNs !== '' && involvedNs !== ns) {
        throw new HttpError(
          422,
          'Invalid',
          `Event "${name}" is invalid: involvedObject.namespace: Invalid value: "${involvedNs}": does not match event.namespace`,
          {
            name,
            kind: 'Event',
            causes: [
              {
                reason: 'FieldValueInvalid',
                message: `Invalid value: "${involvedNs}": does not match event.namespace`,
                field: 'involvedObject.namespace',
              },
            ],
          },
        );
      }
    }
    const key = `${ns}/${name}`;
    if (this.eventStore.has(key)) {
      throw new HttpError(409, 'AlreadyExists', `events "${name}" already exists`, {
        name,
        kind: 'events',
      });
    }
    ev.kind = 'Event';
    ev.apiVersion = 'v1';
    m.name = name;
    m.namespace = ns;
    m.uid = randomUUID();
    m.resourceVersion = String(++this.rv);
    m.creationTimestamp = rfc3339(new Date());
    normalizeEventTimes(ev);
    this.eventStore.set(key, ev);
    return ev;
  }

  private listEvents(ns: string | undefined, q: URLSearchParams): Obj {
    const f = fieldMatcher(q.get('fieldSelector') ?? undefined, EVENT_FIELDS);
    const l = labelMatcher(q.get('labelSelector') ?? undefined);
    const items = [...this.eventStore.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .filter(([, e]) => (ns === undefined || str(meta(e).namespace) === ns) && f(e) && l(e));
    return this.paginate('EventList', items, q);
  }

  private eventItem(
    method: string,
    ns: string,
    name: string,
    body: unknown,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void {
    const key = `${ns}/${name}`;
    const old = this.eventStore.get(key);
    if (!old) throw notFound('events', name);
    if (method === 'GET') return this.send(res, 200, old);
    if (method === 'DELETE') {
      this.eventStore.delete(key);
      return this.send(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, kind: 'events', uid: meta(old).uid },
      });
    }
    let next: unknown;
    if (method === 'PUT') next = clone(body);
    else {
      const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (ct === 'application/json-patch+json') next = jsonPatch(old, body);
      else if (
        ct === 'application/merge-patch+json' ||
        ct === 'application/strategic-merge-patch+json'
      ) {
        next = mergePatch(old, body);
      } else {
        throw new HttpError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
        );
      }
    }
    if (!isObj(next)) throw badRequest('the patched object is not an object');
    const m = meta(next);
    const oldMeta = meta(old);
    if (
      m.resourceVersion !== undefined &&
      m.resourceVersion !== '' &&
      m.resourceVersion !== oldMeta.resourceVersion
    ) {
      throw new HttpError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on events "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, kind: 'events' },
      );
    }
    if (
      (m.name !== undefined && m.name !== name) ||
      (m.namespace !== undefined && m.namespace !== ns)
    ) {
      throw badRequest('the name/namespace of the object does not match the request');
    }
    next.kind = 'Event';
    next.apiVersion = 'v1';
    normalizeEventTimes(next);
    m.name = name;
    m.namespace = ns;
    m.uid = oldMeta.uid;
    m.creationTimestamp = oldMeta.creationTimestamp;
    m.resourceVersion = String(++this.rv);
    this.eventStore.set(key, next);
    this.send(res, 200, next);
  }

  // ---- service proxy ------------------------------------------------------------------------

  private proxy(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ns: string,
    svcSpec: string,
    rest: string,
    search: string,
  ): void {
    // <name>, <name>:<port> or <scheme>:<name>:<port>
    const parts = svcSpec.split(':');
    const name = parts.length === 3 ? parts[1] : parts[0];
    const port = parts.length === 3 ? parts[2] : (parts[1] ?? '');
    const key = [...this.proxies.keys()].find((k) => {
      const [kNs, kSvc] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)];
      const [kName, kPort] = kSvc.split(':') as [string, string];
      return kNs === ns && kName === name && (port === '' || kPort === port);
    });
    if (key === undefined) throw notFound('services', name);
    const target = new URL(this.proxies.get(key)!);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || k === 'authorization' || k === 'host' || HOP_BY_HOP.has(k)) continue;
      headers[k] = v;
    }
    headers.host = target.host;
    const xff = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = xff
      ? `${str(xff)}, ${req.socket.remoteAddress ?? ''}`
      : (req.socket.remoteAddress ?? '');
    // Like Go's net/url: the path is decoded (client-node sends 'a%2Fb' for 'a/b') and re-escaped.
    let subpath = rest;
    try {
      subpath = decodeURIComponent(rest);
    } catch {
      // keep it as sent
    }
    subpath = encodeURI(subpath).replace(/\?/g, '%3F').replace(/#/g, '%23');
    const mod = target.protocol === 'https:' ? https : http;
    const basePath = target.pathname.replace(/\/+$/, '');
    const upstream = mod.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: `${basePath}${subpath}${search}`,
      headers,
      rejectUnauthorized: false,
    });
    upstream.on('response', (ures) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(ures.headers)) {
        if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      }
      res.writeHead(ures.statusCode ?? 502, out);
      res.flushHeaders();
      ures.pipe(res);
      ures.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        this.send(
          res,
          503,
          statusObj(503, 'ServiceUnavailable', `error trying to reach service: ${err.message}`),
        );
      } else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}

const CORE_RESOURCES = [
  {
    name: 'events',
    singularName: 'event',
    namespaced: true,
    kind: 'Event',
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
    shortNames: ['ev'],
  },
  {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: ['get', 'list', 'watch'],
    shortNames: ['po'],
    categories: ['all'],
  },
  {
    name: 'services/proxy',
    singularName: '',
    namespaced: true,
    kind: 'ServiceProxyOptions',
    verbs: ['create', 'delete', 'get', 'patch', 'update'],
  },
];

const GROUP_RESOURCES: Record<string, Obj[]> = {
  'authentication.k8s.io': [
    {
      name: 'tokenreviews',
      singularName: 'tokenreview',
      namespaced: false,
      kind: 'TokenReview',
      verbs: ['create'],
    },
  ],
  'authorization.k8s.io': [
    {
      name: 'subjectaccessreviews',
      singularName: 'subjectaccessreview',
      namespaced: false,
      kind: 'SubjectAccessReview',
      verbs: ['create'],
    },
  ],
};

/** Starts a fake API server on 127.0.0.1 with a fresh port. close() it in afterAll. */
export async function startFakeApiServer(opts?: FakeApiServerOptions): Promise<FakeApiServer> {
  const tls = await getTlsMaterial();
  const server = new FakeApiServerImpl(
    tls.caCert,
    tls,
    opts?.serviceAccountToken ?? `sa-${randomBytes(24).toString('base64url')}`,
    opts?.bookmarkIntervalMs ?? 5000,
  );
  await server.listen();
  return server;
}
