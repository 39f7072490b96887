import type { RequestOptions } from 'node:https';

/** How the API was found, for messages that tell the user what to change. */
export type EndpointVia = '--server' | 'KOREDUMP_URL' | 'in-cluster' | 'service-proxy';

/** Where and how to reach the koredump API. */
export interface Endpoint {
  /** Base URL; API paths (`/apiv1/cores`) are appended to its path. */
  base: URL;
  via: EndpointVia;
  /** For messages: the URL, or the service and the API server it is reached through. */
  description: string;
  /** koredump namespace (for in-cluster and service-proxy). */
  namespace?: string;
  /** Headers sent with every request: the token(s). */
  headers: Record<string, string>;
  /** TLS material and agent for the first hop (the API server with the service proxy). */
  tls: Pick<
    RequestOptions,
    'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername' | 'agent' | 'auth'
  >;
  /** Where the koredump token came from (never the token itself). */
  tokenSource?: string;
}

/** The service the chart installs in front of the aggregator. */
export const SERVICE_NAME = 'koreapi';
export const SERVICE_PORT = 80;
export const DEFAULT_NAMESPACE = 'koredump';

/** `http://koreapi.<ns>.svc`: the API from inside the cluster. */
export function inClusterUrl(namespace: string): string {
  return `http://${SERVICE_NAME}.${namespace}.svc`;
}

/** `<server>/api/v1/namespaces/<ns>/services/koreapi:80/proxy`: the API through the API server. */
export function serviceProxyUrl(server: string, namespace: string): URL {
  const u = new URL(server);
  const prefix = u.pathname.replace(/\/+$/, '');
  u.pathname = `${prefix}/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${SERVICE_NAME}:${SERVICE_PORT}/proxy`;
  u.search = '';
  return u;
}

/** The full URL of an API path (keeps the base's path prefix). */
export function apiUrl(base: URL, path: string, query?: Record<string, string>): URL {
  const u = new URL(base.href);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${path}`;
  u.search = '';
  for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
  return u;
}

export interface ServerChoice {
  url?: string;
  via: EndpointVia;
  namespace: string;
}

/**
 * Which API to talk to: `--server`, else `KOREDUMP_URL`, else in a pod (KUBERNETES_SERVICE_HOST
 * set and no kubeconfig asked for) the in-cluster service, else the service proxy of the
 * kubeconfig's API server.
 */
export function chooseServer(
  flags: { server?: string; koredumpNamespace?: string; kubeconfig?: string },
  env: NodeJS.ProcessEnv,
): ServerChoice {
  const namespace = flags.koredumpNamespace || env.KOREDUMP_NAMESPACE || DEFAULT_NAMESPACE;
  if (flags.server) return { url: flags.server, via: '--server', namespace };
  if (env.KOREDUMP_URL) return { url: env.KOREDUMP_URL, via: 'KOREDUMP_URL', namespace };
  if (env.KUBERNETES_SERVICE_HOST && !flags.kubeconfig && !env.KUBECONFIG) {
    return { url: inClusterUrl(namespace), via: 'in-cluster', namespace };
  }
  return { via: 'service-proxy', namespace };
}
