import { Controller, ForbiddenException, Get } from '@nestjs/common';
import { ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NodeHealthDto } from '@koredump/api';
import { CurrentCaller, decideOrUnavailable, type Caller } from '@koredump/auth';
import { ApiErrorDto, ApiTokenAuth } from '@koredump/http';

import { NodeHealthService } from './node-health.service.js';

@ApiTags('node')
@ApiTokenAuth()
@ApiForbiddenResponse({
  type: ApiErrorDto,
  description: 'The caller may not list coredumps.koredump.io at cluster scope',
})
@Controller('apiv1/node')
export class NodeController {
  constructor(private readonly health: NodeHealthService) {}

  @Get()
  @ApiOperation({
    summary: "This node's readiness to keep cores",
    description:
      "core_pattern, the effective coredump.conf (drop-ins applied), space, the oldest core, the journal reader, the largest pod memory limit, and warnings. Needs `list` on coredumps.koredump.io at cluster scope (it describes the whole node, every namespace's cores included).",
  })
  @ApiOkResponse({ type: NodeHealthDto })
  async get(@CurrentCaller() caller: Caller): Promise<NodeHealthDto> {
    // Node facts cover every namespace's cores (count, bytes, oldest), so only a caller who may
    // list cores everywhere gets them; a namespace-scoped viewer is denied, not shown a subset.
    if (!(await decideOrUnavailable(caller.may('list', undefined)))) {
      throw new ForbiddenException(
        `${caller.user?.username ?? 'caller'} cannot list coredumps.koredump.io at cluster scope (node health needs it)`,
      );
    }
    return this.health.report();
  }
}
