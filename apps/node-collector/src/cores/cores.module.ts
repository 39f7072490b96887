import { Module } from '@nestjs/common';

import { CrashGroupsController } from '../crashgroups/crash-groups.controller.js';
import { CrashGroupsService } from '../crashgroups/crash-groups.service.js';
import { CoreCatalog } from './core-catalog.js';
import { CoresController } from './cores.controller.js';
import { CoresWatchService } from './cores-watch.service.js';
import { CoresService } from './cores.service.js';
import { CollectorMetrics } from '../metrics/collector-metrics.js';

@Module({
  controllers: [CoresController, CrashGroupsController],
  providers: [CoreCatalog, CoresService, CrashGroupsService, CollectorMetrics, CoresWatchService],
  exports: [CoreCatalog],
})
export class CoresModule {}
