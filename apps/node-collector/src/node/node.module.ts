import { Module } from '@nestjs/common';

import { CoresModule } from '../cores/cores.module.js';
import { NodeController } from './node.controller.js';
import { NodeHealthService } from './node-health.service.js';

@Module({
  imports: [CoresModule],
  controllers: [NodeController],
  providers: [NodeHealthService],
})
export class NodeModule {}
