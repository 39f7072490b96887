import { Module } from '@nestjs/common';

import { CoresModule } from '../cores/cores.module.js';
import { CrashEventsService } from './crash-events.service.js';

/** Kubernetes Events on the pods of new cores (KOREDUMP_EVENTS). */
@Module({
  imports: [CoresModule],
  providers: [CrashEventsService],
})
export class CrashEventsModule {}
