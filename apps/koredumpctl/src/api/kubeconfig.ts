import type { KubeConfig } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

import { CliError } from '../errors.js';
import type { Endpoint } from './endpoint.js';

type KubernetesClient = typeof import('@kubernetes/client-node');

let client: KubernetesClient | undefined;

/**
 * @kubernetes/client-node, loaded on first use: it is large (~0.1 s and tens of MiB), and most runs
 * (`--server`, `KOREDUMP_URL`, `--token`, in a pod, `version`, `completion`) never need it.
 */
function kubernetesClient(): KubernetesClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  client ??= require('@kubernetes/client-node') as KubernetesClient;
  return client;
}

/** The kubeconfig files kubectl would read: --kubeconfig, else KUBECONFIG (a list), else ~/.kube/config. */
export function kubeconfigFiles(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  home: string,
): string[] {
  if (flag) return [flag];
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((f) => f !== '');
  return [join(home, '.kube', 'config')];
}

export type KubeUserKind =
  'token' | 'token-file' | 'exec' | 'auth-provider' | 'client-certificate' | 'basic' | 'none';

/** What the kubeconfig's current context gives us. */
export interface KubeCredentials {
  server: string;
  context: string;
  user: string;
  userKind: KubeUserKind;
  /** TLS material and agent for requests to the API server. */
  tls: Endpoint['tls'];
  /** The Authorization header for the API server, if the user has one (token, file, exec, OIDC). */
  authorization?: string;
  /** The bearer token inside `authorization`. */
  bearerToken?: string;
}

function userKind(user: ReturnType<KubeConfig['getCurrentUser']>): KubeUserKind {
  if (!user) return 'none';
  if (user.exec) return 'exec';
  if (user.authProvider) return 'auth-provider';
  if (user.token) return 'token';
  if (user.certData || user.certFile) return 'client-certificate';
  if (user.username) return 'basic';
  return 'none';
}

/**
 * kubectl's `tokenFile` of a user (client-node only knows `token-file`), resolved against the
 * kubeconfig's directory as kubectl does.
 */
function tokenFileOf(files: string[], userName: string): string | undefined {
  for (const f of files) {
    try {
      const doc = parseYaml(readFileSync(f, 'utf8')) as {
        users?: { name?: string; user?: { tokenFile?: unknown } }[];
      } | null;
      const file = doc?.users?.find((u) => u?.name === userName)?.user?.tokenFile;
      if (typeof file === 'string' && file !== '') {
        return isAbsolute(file) ? file : join(dirname(f), file);
      }
    } catch {
      // unreadable here: client-node reported what it could not read
    }
  }
  return undefined;
}

/**
 * Loads the kubeconfig (merged like kubectl when KUBECONFIG lists several files), picks the context
 * and asks client-node for the credentials, running an exec credential plugin if the user has one.
 * @throws CliError when there is no kubeconfig, no such context, or the credentials cannot be made
 */
export async function loadKubeCredentials(
  files: string[],
  context?: string,
): Promise<KubeCredentials> {
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) {
    throw new CliError(
      `no kubeconfig found (looked for ${files.join(', ')})`,
      undefined,
      'pass --server (or set KOREDUMP_URL), or --kubeconfig',
    );
  }
  const k8s = kubernetesClient();
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromFile(existing[0]);
    for (const f of existing.slice(1)) {
      const more = new k8s.KubeConfig();
      more.loadFromFile(f);
      kc.mergeConfig(more, true);
    }
  } catch (err) {
    throw new CliError(`cannot read kubeconfig ${existing.join(', ')}: ${(err as Error).message}`);
  }
  if (context) {
    if (!kc.getContextObject(context)) {
      throw new CliError(
        `kubeconfig has no context "${context}" (it has: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
        2,
      );
    }
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new CliError(
      `kubeconfig ${existing.join(', ')} has no current context with a cluster`,
      undefined,
      'set one with `kubectl config use-context`, or pass --context',
    );
  }
  const user = kc.getCurrentUser();
  const opts: RequestOptions = { headers: {} };
  try {
    await kc.applyToHTTPSOptions(opts);
  } catch (err) {
    throw new CliError(
      `cannot get credentials for kubeconfig user "${user?.name ?? ''}": ${(err as Error).message}`,
      undefined,
      userKind(user) === 'exec'
        ? `the exec credential plugin "${(user?.exec as { command?: string } | undefined)?.command ?? ''}" failed; does \`kubectl get --raw /version\` work?`
        : undefined,
    );
  }
  const headers = (opts.headers ?? {}) as Record<string, string | undefined>;
  let authorization = headers.Authorization ?? headers.authorization;
  let kind = userKind(user);
  if (!authorization && user) {
    const file = tokenFileOf(existing, user.name);
    if (file) {
      let token: string;
      try {
        token = readFileSync(file, 'utf8').trim();
      } catch (err) {
        throw new CliError(
          `cannot read the tokenFile of kubeconfig user "${user.name}": ${(err as Error).message}`,
        );
      }
      authorization = `Bearer ${token}`;
      kind = 'token-file';
    }
  }
  const bearer = authorization ? /^Bearer\s+(.+)$/i.exec(authorization)?.[1] : undefined;
  return {
    server: cluster.server,
    context: kc.getCurrentContext(),
    user: user?.name ?? '',
    userKind: kind,
    tls: {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      rejectUnauthorized: opts.rejectUnauthorized,
      servername: opts.servername,
      agent: opts.agent,
      auth: opts.auth,
    },
    authorization,
    bearerToken: bearer,
  };
}
