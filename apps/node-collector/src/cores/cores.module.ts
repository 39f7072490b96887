import { Module } from '@nestjs/common';

import { CoreCatalog } from './core-catalog.js';
import { CoresController } from './cores.controller.js';
import { CoresWatchService } from './cores-watch.service.js';
import { CoresService } from './cores.service.js';

@Module({
  controllers: [CoresController],
  providers: [CoreCatalog, CoresService, CoresWatchService],
  exports: [CoreCatalog],
})
export class CoresModule {}
