import { IntersectionType } from '@nestjs/swagger';
import { CrashGroupsQueryDto } from '@koredump/api';

import { NodeQueryDto } from '../cores/dto/list-cores.query.js';

/** Query of the aggregator's GET /apiv1/crashgroups: the collector's parameters plus `node`. */
export class AggregatorCrashGroupsQueryDto extends IntersectionType(
  CrashGroupsQueryDto,
  NodeQueryDto,
) {}
