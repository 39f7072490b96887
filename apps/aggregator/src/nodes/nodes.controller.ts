import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiTokenAuth } from '@koredump/http';
import type { Request, Response } from 'express';

import { AggregatorConfig } from '../aggregator.config.js';
import { callerSignal, callerToken } from '../request-context.js';
import { NodeStatusDto } from './dto/node-status.dto.js';
import { NodesService } from './nodes.service.js';

@ApiTags('nodes')
@ApiTokenAuth('The token could not be checked (Kubernetes API unavailable)')
@Controller('apiv1/nodes')
export class NodesController {
  constructor(
    private readonly nodes: NodesService,
    private readonly config: AggregatorConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: "Every known node and its collector's state (probed now, within the node deadline)",
    description:
      "Each collector is asked in parallel, within the per-node deadline, for its readiness probe and, with the caller's token, for its node health report (`health`). A node whose report cannot be had (down, slow, or the caller may not list coredumps.koredump.io at cluster scope) carries `healthError` instead; the answer itself never fails for one node.",
  })
  @ApiOkResponse({ type: [NodeStatusDto] })
  list(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<NodeStatusDto[]> {
    return this.nodes.nodes(callerSignal(res), callerToken(req, this.config));
  }
}
