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
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';

import { CoreCatalog } from '../cores/core-catalog.js';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly catalog: CoreCatalog,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: coredump directory readable, journal reader running' })
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.coreDir(), () => this.journal()]);
  }

  private async coreDir(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('coreDir');
    try {
      await access(this.catalog.coreDir, constants.R_OK | constants.X_OK);
      return indicator.up({ path: this.catalog.coreDir, cores: this.catalog.status().cores });
    } catch (err) {
      return indicator.down({ path: this.catalog.coreDir, message: (err as Error).message });
    }
  }

  private journal(): HealthIndicatorResult {
    const indicator = this.indicators.check('journal');
    const { journalFollowing, journalError } = this.catalog.status();
    return journalFollowing
      ? indicator.up()
      : indicator.down({ message: journalError ?? 'journal reader not running' });
  }
}
