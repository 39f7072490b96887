import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { Public } from '@koredump/http';

import { CollectorDirectory } from '../discovery/collector-directory.js';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly directory: CollectorDirectory,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('readyz')
  @ApiOperation({
    summary:
      'Readiness: collector discovery has synced (static list, or the collector pods were listed)',
  })
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.discovery()]);
  }

  /** Ready once the collectors are known; not tied to the collectors' own health (no cascade). */
  private discovery(): HealthIndicatorResult {
    const indicator = this.indicators.check('discovery');
    const { synced, error, ...details } = this.directory.status();
    return synced
      ? indicator.up(details)
      : indicator.down({ ...details, message: error ?? 'collector pods not listed yet' });
  }
}
