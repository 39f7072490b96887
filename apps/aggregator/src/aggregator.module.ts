import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AccessReviewer, apiAppProviders, AuthSettings, TokenReviewer } from '@koredump/auth';
import { MetricsModule } from '@koredump/http';
import { clusterAuth } from '@koredump/k8s';

import { AggregatorConfig } from './aggregator.config.js';
import { CollectorClient } from './collectors/collector-client.js';
import { DownloadProxy } from './collectors/download-proxy.js';
import { NodeHealthRegistry } from './collectors/node-health.js';
import { CoresController } from './cores/cores.controller.js';
import { CoresWatchService } from './cores/cores-watch.service.js';
import { CoresService } from './cores/cores.service.js';
import { CrashGroupsController } from './crashgroups/crash-groups.controller.js';
import { CrashGroupsService } from './crashgroups/crash-groups.service.js';
import {
  CollectorDirectory,
  PodCollectorDirectory,
  StaticCollectorDirectory,
} from './discovery/collector-directory.js';
import { HealthController } from './health/health.controller.js';
import { AggregatorMetrics } from './metrics/aggregator-metrics.js';
import { NodesController } from './nodes/nodes.controller.js';
import { NodesService } from './nodes/nodes.service.js';

@Module({})
export class AggregatorModule {
  /** The app for one validated configuration (tests pass their own). */
  static forRoot(config: AggregatorConfig): DynamicModule {
    // The API is needed to review tokens (auth on) or to find the collector pods (no static list).
    const needsApi = !config.fakeK8s && (!config.authDisabled || !config.collectors);
    const { kubeConfig, tokens, access } = clusterAuth({ ...config, fakeK8s: !needsApi });
    let directory: Provider;
    if (config.collectors) {
      directory = {
        provide: CollectorDirectory,
        useValue: new StaticCollectorDirectory(config.collectors),
      };
    } else if (kubeConfig) {
      directory = {
        provide: CollectorDirectory,
        useFactory: () =>
          new PodCollectorDirectory(kubeConfig, {
            labelSelector: config.collectorSelector,
            namespace: config.collectorNamespace,
            daemonsetPort: config.daemonsetPort,
          }),
      };
    } else {
      // loadAggregatorConfig never yields this (FAKE_K8S=1 always has a static list).
      throw new Error('no KOREDUMP_COLLECTORS and no Kubernetes API to discover collectors');
    }
    const configModule: DynamicModule = {
      module: class AggregatorConfigModule {},
      global: true,
      providers: [
        { provide: AggregatorConfig, useValue: config },
        // The aggregator only authenticates; the collectors authorize with the caller's token.
        {
          provide: AuthSettings,
          useValue: { disabled: config.authDisabled, mode: config.authMode },
        },
        { provide: TokenReviewer, useValue: tokens },
        { provide: AccessReviewer, useValue: access },
        directory,
      ],
      exports: [AggregatorConfig, AuthSettings, TokenReviewer, AccessReviewer, CollectorDirectory],
    };
    return {
      module: AggregatorModule,
      imports: [
        configModule,
        TerminusModule.forRoot({ gracefulShutdownTimeoutMs: 1000 }),
        MetricsModule.forRoot({ enabled: config.metricsEnabled }),
      ],
      controllers: [CoresController, CrashGroupsController, NodesController, HealthController],
      providers: [
        NodeHealthRegistry,
        AggregatorMetrics,
        CollectorClient,
        DownloadProxy,
        CoresService,
        CrashGroupsService,
        CoresWatchService,
        NodesService,
        ...apiAppProviders(),
      ],
    };
  }
}
