import { type DynamicModule, Module } from '@nestjs/common';

import { MetricsController } from './metrics.controller.js';
import { MetricsRegistry, type MetricsOptions } from './metrics-registry.js';

/**
 * The app's MetricsRegistry (global, for the app's own metric providers) and, when enabled, the
 * /metrics controller. createHttpApp installs the request-latency middleware.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      providers: [{ provide: MetricsRegistry, useValue: new MetricsRegistry(options) }],
      exports: [MetricsRegistry],
      controllers: options.enabled ? [MetricsController] : [],
    };
  }
}
