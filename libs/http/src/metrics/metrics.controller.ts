import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';

import { Public } from '../public.decorator.js';
import { MetricsRegistry } from './metrics-registry.js';

/**
 * GET /metrics in the Prometheus text format. Public like the probes: it carries counts by
 * namespace, container and signal, never core ids, pod names or paths; who may reach it is the
 * NetworkPolicy's decision. Not in the OpenAPI document: it is not part of the JSON API.
 */
@ApiExcludeController()
@Public()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get('metrics')
  async scrape(@Res() res: Response): Promise<void> {
    const body = await this.metrics.scrape();
    res.setHeader('Content-Type', this.metrics.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(body);
  }
}
