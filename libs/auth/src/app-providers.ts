import { type Provider, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AllExceptionsFilter } from '@koredump/http';

import { BearerAuthGuard } from './auth.guard.js';

/**
 * The app-wide providers both APIs share, so they cannot drift apart: strict validation (unknown
 * parameters are a 400, values transformed), the one error shape, and the bearer-token guard
 * (every route denied without a token unless @Public()). Fresh instances per call (per app).
 */
export function apiAppProviders(): Provider[] {
  return [
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
  ];
}
