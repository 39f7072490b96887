import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import {
  AuthSettings,
  BearerAuthGuard,
  RejectAllTokenReviewer,
  TokenReviewer,
} from '@koredump/auth';
import { AllExceptionsFilter } from '@koredump/http';

import { CollectorConfig } from './collector.config.js';
import { CoresModule } from './cores/cores.module.js';
import { HealthController } from './health/health.controller.js';

@Module({})
export class NodeCollectorModule {
  /** The app for one validated configuration (tests pass their own). */
  static forRoot(config: CollectorConfig): DynamicModule {
    const configModule: DynamicModule = {
      module: class CollectorConfigModule {},
      global: true,
      providers: [
        { provide: CollectorConfig, useValue: config },
        { provide: AuthSettings, useValue: { disabled: config.authDisabled } },
        // TokenReview against the Kubernetes API replaces this with the Kubernetes integration.
        { provide: TokenReviewer, useValue: new RejectAllTokenReviewer() },
      ],
      exports: [CollectorConfig, AuthSettings, TokenReviewer],
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
