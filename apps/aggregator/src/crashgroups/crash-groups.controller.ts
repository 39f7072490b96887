import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiGatewayTimeoutResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CrashGroupDto } from '@koredump/api';
import type { CrashGroup } from '@koredump/crash';
import { ApiErrorDto, ApiTokenAuth } from '@koredump/http';
import type { Request, Response } from 'express';

import { AggregatorConfig } from '../aggregator.config.js';
import { answerFromCollectors, callerContext } from '../request-context.js';
import { AggregatorCrashGroupsQueryDto } from './crash-groups.query.js';
import { CrashGroupsService } from './crash-groups.service.js';

@ApiTags('crashgroups')
@ApiTokenAuth(
  'Discovery not synced yet, the collector pod not ready, or a token/permission check impossible (Kubernetes API unavailable)',
)
@ApiBadRequestResponse({ type: ApiErrorDto, description: 'Malformed parameter' })
@ApiBadGatewayResponse({
  type: ApiErrorDto,
  description: 'No collector answered (unreachable or failed); the message names the nodes',
})
@ApiGatewayTimeoutResponse({
  type: ApiErrorDto,
  description: 'No collector answered within KOREDUMP_NODE_TIMEOUT_MS',
})
@Controller('apiv1/crashgroups')
export class CrashGroupsController {
  constructor(
    private readonly groups: CrashGroupsService,
    private readonly config: AggregatorConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Cores of every node grouped by crash signature',
    description:
      "Each collector's groups (filtered like the list, in the caller's RBAC view: each collector sees the caller's token) are fetched in parallel with the per-node deadline and merged: one entry per signature, counts added, nodes/namespaces/workloads/images united, the newest examples kept. A node that is down, slow or failing is left out and named in a `Warning: 199 koredump \"nodes left out: …\"` header; when no node answers the call fails. Sorted by lastSeen (newest first, default) or count.",
  })
  @ApiOkResponse({
    type: [CrashGroupDto],
    headers: {
      Warning: {
        description: 'Nodes left out, with why: `199 koredump "nodes left out: node-b (…)"`',
        schema: { type: 'string' },
      },
    },
  })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'Unknown node in `node`' })
  @ApiForbiddenResponse({ type: ApiErrorDto, description: 'Every collector refused the caller' })
  async list(
    @Query() query: AggregatorCrashGroupsQueryDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CrashGroup[]> {
    const result = await answerFromCollectors(
      res,
      this.groups.groups(query, callerContext(req, res, this.config)),
    );
    return result.groups;
  }
}
