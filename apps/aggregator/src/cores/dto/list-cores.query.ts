import { BadRequestException } from '@nestjs/common';
import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

// The collector's API contract: the aggregator accepts exactly the collector's list parameters
// (same names, same validation) and passes records through unchanged.
import { ListCoresQueryDto, WatchCoresQueryDto } from '@koredump/api';
import { MAX_CURSOR_LENGTH } from '../list-order.js';

/** The collector's list parameters the aggregator passes on (limit is worked out per page). */
export const FORWARDED_LIST_PARAMS = [
  'namespace',
  'pod',
  'container',
  'comm',
  'signal',
  'since',
  'until',
] as const satisfies readonly (keyof ListCoresQueryDto)[];

/**
 * The FORWARDED_LIST_PARAMS of a validated query, as sent on to each collector; 400 when since
 * is after until (before any collector is asked).
 */
export function forwardedFilters(
  query: Pick<ListCoresQueryDto, (typeof FORWARDED_LIST_PARAMS)[number]>,
): URLSearchParams {
  if (query.since && query.until && Date.parse(query.since) > Date.parse(query.until)) {
    throw new BadRequestException('since is after until');
  }
  const params = new URLSearchParams();
  for (const name of FORWARDED_LIST_PARAMS) {
    const value = query[name];
    if (value !== undefined && value !== '') params.set(name, value);
  }
  return params;
}

/**
 * The parameter every aggregator route over many nodes adds to the collector's: one node only.
 * Mixed in with IntersectionType, which carries its validation and OpenAPI metadata along.
 */
export class NodeQueryDto {
  @ApiPropertyOptional({
    description: 'Only the cores of this node (a node name as in /apiv1/nodes)',
    example: 'worker-1',
  })
  @IsOptional()
  @IsString()
  @MaxLength(253)
  node?: string;
}

/**
 * Query of the aggregator's GET /apiv1/cores: the collector's parameters plus `node` and
 * `cursor`. Unknown parameters are rejected with 400; only FORWARDED_LIST_PARAMS (and a limit)
 * are ever sent on to the collectors, rebuilt from the validated values.
 */
export class AggregatorListQueryDto extends IntersectionType(ListCoresQueryDto, NodeQueryDto) {
  @ApiPropertyOptional({
    description:
      'Continue after the page that returned this cursor (opaque; from `X-Next-Cursor` or the `Link: <…>; rel="next"` header of a list with `limit`). Keep the other parameters the same.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CURSOR_LENGTH)
  cursor?: string;
}

export { DownloadQueryDto } from '@koredump/api';

/** Query of the aggregator's GET /apiv1/cores/watch: the collector's watch parameters plus `node`. */
export class AggregatorWatchQueryDto extends IntersectionType(WatchCoresQueryDto, NodeQueryDto) {}
