import { Controller, Get, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiErrorDto } from '@koredump/http';
import type { Response } from 'express';

import { callerSignal } from '../request-context.js';
import { NodeStatusDto } from './dto/node-status.dto.js';
import { NodesService } from './nodes.service.js';

@ApiTags('nodes')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ApiErrorDto, description: 'Missing or rejected bearer token' })
@ApiServiceUnavailableResponse({
  type: ApiErrorDto,
  description: 'The token could not be checked (Kubernetes API unavailable)',
})
@Controller('apiv1/nodes')
export class NodesController {
  constructor(private readonly nodes: NodesService) {}

  @Get()
  @ApiOperation({
    summary: "Every known node and its collector's state (probed now, within the node deadline)",
  })
  @ApiOkResponse({ type: [NodeStatusDto] })
  list(@Res({ passthrough: true }) res: Response): Promise<NodeStatusDto[]> {
    return this.nodes.nodes(callerSignal(res));
  }
}
