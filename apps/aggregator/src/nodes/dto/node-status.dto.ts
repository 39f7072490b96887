import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { NodeHealthDto } from '@koredump/api';

/** One node with a collector, as GET /apiv1/nodes reports it. */
export class NodeStatusDto {
  @ApiProperty({ description: 'Kubernetes node name', example: 'worker-1' })
  readonly node!: string;

  @ApiProperty({
    enum: ['static', 'pod'],
    description: 'static: KOREDUMP_COLLECTORS; pod: discovered collector pod',
  })
  readonly source!: 'static' | 'pod';

  @ApiPropertyOptional({
    description: 'The collector pod (namespace/name)',
    example: 'koredump/koredump-node-collector-x7k2p',
  })
  readonly pod?: string;

  @ApiPropertyOptional({
    description: 'Where the collector listens (absent when its pod is not usable)',
    example: 'http://10.244.1.7:5001',
  })
  readonly url?: string;

  @ApiProperty({ description: 'The collector is used: a Ready pod with an IP, or a static entry' })
  readonly ready!: boolean;

  @ApiPropertyOptional({
    description: 'Why the collector is not used',
    example: 'collector pod is not ready',
  })
  readonly reason?: string;

  @ApiProperty({ description: 'The collector answered its readiness probe just now' })
  readonly reachable!: boolean;

  @ApiPropertyOptional({
    description: "The collector's own readiness (/readyz): core directory and journal reader",
  })
  readonly collectorReady?: boolean;

  @ApiPropertyOptional({
    description:
      "Cores on the node, as the collector's readiness probe reports them (all of them, not only those the caller may see)",
    example: 12,
  })
  readonly cores?: number;

  @ApiPropertyOptional({ description: 'The collector version', example: '0.1.0' })
  readonly version?: string;

  @ApiPropertyOptional({
    description: 'The last failure of this collector (unreachable, timeout, 5xx)',
    example: 'timeout after 5000 ms',
  })
  readonly lastError?: string;

  @ApiPropertyOptional({ description: 'When lastError happened (ISO-8601)' })
  readonly lastErrorAt?: string;

  @ApiPropertyOptional({ description: 'Last time the collector answered (ISO-8601)' })
  readonly lastSeen?: string;

  @ApiPropertyOptional({
    type: NodeHealthDto,
    description: "The collector's node health report (GET /apiv1/node), asked for just now",
  })
  readonly health?: NodeHealthDto;

  @ApiPropertyOptional({
    description: 'Why there is no health report for this node',
    example: 'unreachable: ECONNREFUSED',
  })
  readonly healthError?: string;
}
