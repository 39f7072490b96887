import { Module } from '@nestjs/common';

import { CoreCatalog } from './core-catalog.js';
import { CoresController } from './cores.controller.js';
import { CoresService } from './cores.service.js';
import { CollectorMetrics } from '../metrics/collector-metrics.js';

@Module({
  controllers: [CoresController],
  providers: [CoreCatalog, CoresService, CollectorMetrics],
  exports: [CoreCatalog],
})
export class CoresModule {}
