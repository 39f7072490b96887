import { CliError, EXIT_FAILURE } from '../errors.js';
import type { Endpoint } from './endpoint.js';

/** The error body of koredump (`{statusCode, error, message}`) or of the Kubernetes API (`Status`). */
export interface ErrorBody {
  kind?: string;
  statusCode?: number;
  code?: number;
  error?: string;
  reason?: string;
  message?: string | string[];
}

/** What the request was, for the message: `list cores`, `core X on node Y`. */
export interface RequestSubject {
  what: string;
  node?: string;
  id?: string;
}

function bodyMessage(body: ErrorBody | undefined): string | undefined {
  const m = body?.message;
  if (Array.isArray(m)) return m.join('; ');
  return typeof m === 'string' && m !== '' ? m : undefined;
}

/** A Kubernetes `Status` object (the API server answered, not koredump). */
function isKubernetesStatus(body: ErrorBody | undefined): boolean {
  return body?.kind === 'Status';
}

/**
 * Turns an HTTP error answer into a message that says what to do. 401 and 403 from koredump and
 * from the Kubernetes API server (service proxy) are told apart by the body.
 */
export function httpFailure(
  status: number,
  body: ErrorBody | undefined,
  endpoint: Pick<Endpoint, 'via' | 'description' | 'namespace'>,
  subject: RequestSubject,
): CliError {
  const msg = bodyMessage(body);
  const fromKube = isKubernetesStatus(body);
  const where = endpoint.description;
  if (fromKube && endpoint.via === 'service-proxy') {
    if (status === 401) {
      return new CliError(
        `the Kubernetes API server rejected your kubeconfig credentials (401): ${msg ?? 'Unauthorized'}`,
        EXIT_FAILURE,
        'check that `kubectl get --raw /version` works with the same kubeconfig and context, or pass --server and --token',
      );
    }
    if (status === 403) {
      return new CliError(
        `the Kubernetes API server denied access to the koredump service: ${msg ?? 'Forbidden'}`,
        EXIT_FAILURE,
        `reaching koredump through the API server needs permission to "get services/proxy" in namespace "${endpoint.namespace ?? ''}"; ask your cluster admin, or pass --server`,
      );
    }
    if (status === 404) {
      return new CliError(
        `service koreapi not found in namespace "${endpoint.namespace ?? ''}": ${msg ?? 'Not Found'}`,
        EXIT_FAILURE,
        'is koredump installed there? Pass --koredump-namespace (or set KOREDUMP_NAMESPACE) to the namespace it is installed in',
      );
    }
    if (status === 503 || status === 502) {
      return new CliError(
        `the Kubernetes API server cannot reach the koredump API (${status}): ${msg ?? ''}`.trimEnd(),
        EXIT_FAILURE,
        'is the koredump aggregator running? `kubectl get pods -n ' +
          (endpoint.namespace ?? 'koredump') +
          '`',
      );
    }
  }
  if (status === 401) {
    return new CliError(
      `the API rejected the token; check --token or your kubeconfig${msg && msg !== 'Unauthorized' ? ` (${msg})` : ''}`,
      EXIT_FAILURE,
    );
  }
  if (status === 403) {
    return new CliError(
      `permission denied: ${msg ?? `${subject.what} is forbidden`}`,
      EXIT_FAILURE,
    );
  }
  if (status === 404 && subject.id !== undefined) {
    return new CliError(
      `core ${subject.id} not found on node ${subject.node ?? '?'}${msg ? ` (${msg})` : ''}`,
      EXIT_FAILURE,
      'list the cores with `koredumpctl list -o wide` to see their nodes and ids',
    );
  }
  if (status === 404) {
    return new CliError(`${subject.what}: not found at ${where}${msg ? ` (${msg})` : ''}`);
  }
  if (status === 400) {
    return new CliError(`${subject.what}: the API refused the request: ${msg ?? 'Bad Request'}`);
  }
  return new CliError(
    `${subject.what}: the API at ${where} answered ${status}${msg ? `: ${msg}` : body?.error ? ` ${body.error}` : ''}`,
  );
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EPIPE: 'connection closed',
};

/** A request that got no HTTP answer at all. Names the URL tried and what to check. */
export function networkFailure(
  err: NodeJS.ErrnoException,
  url: string,
  endpoint: Pick<Endpoint, 'via' | 'namespace'>,
): CliError {
  const why =
    (err.code && NETWORK_CODES[err.code]) ??
    (/certificate|self[- ]signed|unable to verify/i.test(err.message)
      ? `TLS: ${err.message}`
      : err.message);
  const hint =
    endpoint.via === '--server'
      ? 'check the --server URL'
      : endpoint.via === 'KOREDUMP_URL'
        ? 'check KOREDUMP_URL'
        : endpoint.via === 'in-cluster'
          ? `is koredump installed in namespace "${endpoint.namespace ?? ''}"? Set --koredump-namespace or KOREDUMP_NAMESPACE`
          : 'check the cluster server of your kubeconfig (`kubectl cluster-info`), or pass --server';
  return new CliError(`cannot reach the koredump API at ${url}: ${why}`, EXIT_FAILURE, hint);
}

/** The text of an HTTP `Warning` header (`199 - "nodes left out: b"` → `nodes left out: b`). */
export function warningText(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  return values.map((v) => {
    const m = /^\s*\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/.exec(v);
    return m ? m[1].replace(/\\(.)/g, '$1') : v.trim();
  });
}
