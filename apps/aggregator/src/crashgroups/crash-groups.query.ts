import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { CrashGroupsQueryDto } from '@koredump/api';

/** Query of the aggregator's GET /apiv1/crashgroups: the collector's parameters plus `node`. */
export class AggregatorCrashGroupsQueryDto extends CrashGroupsQueryDto {
  @ApiPropertyOptional({
    description: 'Only the cores of this node (a node name as in /apiv1/nodes)',
    example: 'worker-1',
  })
  @IsOptional()
  @IsString()
  @MaxLength(253)
  node?: string;
}
