import { Module } from '@nestjs/common';

import { CoreCatalog } from './core-catalog.js';
import { CoresController } from './cores.controller.js';
import { CoresService } from './cores.service.js';

@Module({
  controllers: [CoresController],
  providers: [CoreCatalog, CoresService],
  exports: [CoreCatalog],
})
export class CoresModule {}
