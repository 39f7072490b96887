import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AccessReviewer, apiAppProviders, AuthSettings, TokenReviewer } from '@koredump/auth';
import { MetricsModule } from '@koredump/http';
import { clusterAuth } from '@koredump/k8s';

import { ClusterConnection } from './cluster.js';
import { CollectorConfig } from './collector.config.js';
import { CoresModule } from './cores/cores.module.js';
import { CrashEventsModule } from './events/crash-events.module.js';
import { HealthController } from './health/health.controller.js';
import { NodeModule } from './node/node.module.js';

@Module({})
export class NodeCollectorModule {
  /** The app for one validated configuration (tests pass their own). */
  static forRoot(config: CollectorConfig): DynamicModule {
    const { kubeConfig, tokens, access } = clusterAuth(config);
    const cluster: ClusterConnection = { kubeConfig };
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
        MetricsModule.forRoot({ enabled: config.metricsEnabled }),
        CoresModule,
        CrashEventsModule,
        NodeModule,
      ],
      controllers: [HealthController],
      providers: apiAppProviders(),
    };
  }
}
