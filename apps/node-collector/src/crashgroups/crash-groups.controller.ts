import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CrashGroupDto, CrashGroupsQueryDto } from '@koredump/api';
import { CurrentCaller, type Caller } from '@koredump/auth';
import type { CrashGroup } from '@koredump/crash';
import { ApiErrorDto, ApiTokenAuth } from '@koredump/http';

import { CrashGroupsService } from './crash-groups.service.js';

@ApiTags('crashgroups')
@ApiTokenAuth()
@ApiBadRequestResponse({ type: ApiErrorDto, description: 'Malformed parameter' })
@Controller('apiv1/crashgroups')
export class CrashGroupsController {
  constructor(private readonly groups: CrashGroupsService) {}

  @Get()
  @ApiOperation({
    summary: "This node's cores grouped by crash signature",
    description:
      'One entry per signature (executable, signal and the top frames of the crashing thread) of the cores the list would return for the same filters: cores in namespaces the caller may not list are left out. Cores without a stack trace have no signature and are in no group. Sorted by lastSeen (newest first) or count.',
  })
  @ApiOkResponse({ type: [CrashGroupDto] })
  list(
    @Query() query: CrashGroupsQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<CrashGroup[]> {
    return this.groups.groups(query, caller);
  }
}
