import { Injectable } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CliEnvironment } from '../environment.js';
import { CliError, UsageError } from '../errors.js';
import { chooseServer, serviceProxyUrl, type Endpoint } from './endpoint.js';
import { kubeconfigFiles, loadKubeCredentials, type KubeCredentials } from './kubeconfig.js';

/** The options every command that talks to the API accepts. */
export interface ConnectionOptions {
  server?: string;
  token?: string;
  koredumpNamespace?: string;
  kubeconfig?: string;
  context?: string;
  verbose?: boolean;
}

const SA_TOKEN = 'var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Finds the API and the token with no setup (see the README): server from --server, KOREDUMP_URL,
 * the in-cluster service, or the kubeconfig's API server service proxy; token from --token,
 * KOREDUMP_TOKEN, the kubeconfig's user (token, token file, exec plugin), or the pod's service
 * account. Through the service proxy the token also goes in X-Koredump-Authorization, because
 * the API server strips Authorization before forwarding.
 */
@Injectable()
export class ConnectionResolver {
  constructor(private readonly environment: CliEnvironment) {}

  private serviceAccountToken(): string | undefined {
    // KOREDUMP_IN_CLUSTER_ROOT prefixes /var/run/secrets/… (tests; as the collector does).
    const file = join(this.environment.env.KOREDUMP_IN_CLUSTER_ROOT ?? '/', SA_TOKEN);
    try {
      return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
    } catch {
      return undefined;
    }
  }

  async resolve(
    opts: ConnectionOptions,
    log: (msg: string) => void = () => undefined,
  ): Promise<Endpoint> {
    const env = this.environment.env;
    const choice = chooseServer(opts, env);
    let token = opts.token;
    let tokenSource = token !== undefined ? '--token' : undefined;
    if (token === undefined && env.KOREDUMP_TOKEN) {
      token = env.KOREDUMP_TOKEN;
      tokenSource = 'KOREDUMP_TOKEN';
    }
    const files = kubeconfigFiles(opts.kubeconfig, env, this.environment.homedir());

    if (choice.url !== undefined) {
      let base: URL;
      try {
        base = new URL(choice.url);
        if (!/^https?:$/.test(base.protocol)) throw new Error('not http(s)');
      } catch {
        throw new UsageError(
          `${choice.via === '--server' ? '--server' : choice.via} is not an http(s) URL: ${choice.url}`,
        );
      }
      if (token === undefined && choice.via !== 'in-cluster' && files.some((f) => existsSync(f))) {
        try {
          const kube = await loadKubeCredentials(files, opts.context);
          if (kube.bearerToken) {
            token = kube.bearerToken;
            tokenSource = `kubeconfig user "${kube.user}"`;
          }
        } catch (err) {
          log(`kubeconfig not used for the token: ${(err as Error).message}`);
        }
      }
      if (token === undefined) {
        token = this.serviceAccountToken();
        if (token !== undefined) tokenSource = 'the pod service account';
      }
      log(
        `API ${base.href} (from ${choice.via}); token ${tokenSource ? `from ${tokenSource}` : 'none'}`,
      );
      return {
        base,
        via: choice.via,
        description: base.href.replace(/\/$/, ''),
        namespace: choice.namespace,
        headers: token !== undefined ? { Authorization: `Bearer ${token}` } : {},
        tls: {},
        tokenSource,
      };
    }

    let kube: KubeCredentials;
    try {
      kube = await loadKubeCredentials(files, opts.context);
    } catch (err) {
      if (err instanceof CliError && /^no kubeconfig found/.test(err.message)) {
        throw new CliError(
          'cannot find the koredump API: no --server, no KOREDUMP_URL, not in a pod, and no kubeconfig',
          undefined,
          `pass --server http://…, set KOREDUMP_URL, or point KUBECONFIG at your cluster's kubeconfig (looked for ${files.join(', ')})`,
        );
      }
      throw err;
    }
    if (token === undefined && kube.bearerToken) {
      token = kube.bearerToken;
      tokenSource = `kubeconfig user "${kube.user}"`;
    }
    if (token === undefined) {
      throw new CliError(
        `kubeconfig user "${kube.user}" has no bearer token (it authenticates with ${kube.userKind === 'client-certificate' ? 'a client certificate' : kube.userKind === 'basic' ? 'a user name and password' : 'nothing koredump can pass on'}), and koredump needs a token it can verify`,
        undefined,
        'pass --token or set KOREDUMP_TOKEN, for example with a service account token: `kubectl create token <serviceaccount> -n <namespace>`',
      );
    }
    const base = serviceProxyUrl(kube.server, choice.namespace);
    log(
      `API through the Kubernetes API server: ${base.href} (context "${kube.context}", user "${kube.user}"); token from ${tokenSource}`,
    );
    const headers: Record<string, string> = { 'X-Koredump-Authorization': `Bearer ${token}` };
    if (kube.authorization) headers.Authorization = kube.authorization;
    return {
      base,
      via: 'service-proxy',
      description: `service koreapi in namespace "${choice.namespace}" through the Kubernetes API server ${kube.server}`,
      namespace: choice.namespace,
      headers,
      tls: kube.tls,
      tokenSource,
    };
  }
}
