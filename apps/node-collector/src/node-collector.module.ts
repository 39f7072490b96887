import { type DynamicModule, Logger, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import {
  AccessReviewer,
  AuthSettings,
  BearerAuthGuard,
  CachingAccessReviewer,
  CachingTokenReviewer,
  RejectAllTokenReviewer,
  TokenReviewer,
} from '@koredump/auth';
import { AllExceptionsFilter } from '@koredump/http';
import { KubernetesAccessReviewer, KubernetesTokenReviewer, loadKubeConfig } from '@koredump/k8s';

import { ClusterConnection } from './cluster.js';
import { CollectorConfig } from './collector.config.js';
import { CoresModule } from './cores/cores.module.js';
import { HealthController } from './health/health.controller.js';

/** Denies every permission check: RBAC mode without a Kubernetes API can allow nothing. */
class DenyAllAccessReviewer extends AccessReviewer {
  allowed(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/** The Kubernetes connection and the token/permission reviewers for one configuration. */
export function clusterProviders(
  config: Pick<CollectorConfig, 'fakeK8s' | 'authDisabled' | 'tokenAudiences' | 'authCacheTtlMs'>,
): { cluster: ClusterConnection; tokens: TokenReviewer; access: AccessReviewer } {
  if (config.authDisabled) {
    new Logger('Auth').warn(
      'NO_TOKENS=1: authentication and authorization are OFF; every caller can read every core',
    );
  }
  if (config.fakeK8s) {
    return {
      cluster: { kubeConfig: undefined },
      tokens: new RejectAllTokenReviewer(),
      access: new DenyAllAccessReviewer(),
    };
  }
  const kubeConfig = loadKubeConfig();
  const cache = {
    positiveTtlMs: config.authCacheTtlMs,
    // Denials expire sooner: a permission just granted should work within seconds.
    negativeTtlMs: Math.min(config.authCacheTtlMs, 10_000),
    maxEntries: 10_000,
  };
  return {
    cluster: { kubeConfig },
    tokens: new CachingTokenReviewer(
      new KubernetesTokenReviewer(kubeConfig, config.tokenAudiences),
      cache,
    ),
    access: new CachingAccessReviewer(new KubernetesAccessReviewer(kubeConfig), cache),
  };
}

@Module({})
export class NodeCollectorModule {
  /** The app for one validated configuration (tests pass their own). */
  static forRoot(config: CollectorConfig): DynamicModule {
    const { cluster, tokens, access } = clusterProviders(config);
    const configModule: DynamicModule = {
      module: class CollectorConfigModule {},
      global: true,
      providers: [
        { provide: CollectorConfig, useValue: config },
        { provide: ClusterConnection, useValue: cluster },
        {
          provide: AuthSettings,
          useValue: { disabled: config.authDisabled, mode: config.authMode },
        },
        { provide: TokenReviewer, useValue: tokens },
        { provide: AccessReviewer, useValue: access },
      ],
      exports: [CollectorConfig, ClusterConnection, AuthSettings, TokenReviewer, AccessReviewer],
    };
    return {
      module: NodeCollectorModule,
      imports: [
        configModule,
        TerminusModule.forRoot({ gracefulShutdownTimeoutMs: 1000 }),
        CoresModule,
      ],
      controllers: [HealthController],
      providers: [
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
          }),
        },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_GUARD, useClass: BearerAuthGuard },
      ],
    };
  }
}
