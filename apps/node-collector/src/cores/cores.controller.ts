import { Controller, Get, Headers, Param, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentCaller, type Caller } from '@koredump/auth';
import { ApiErrorDto, ApiTokenAuth } from '@koredump/http';
import type { Request, Response } from 'express';

import { CoreCatalog } from './core-catalog.js';
import { CoresWatchService } from './cores-watch.service.js';
import { CoresService } from './cores.service.js';
import { CoreRecordDto, CoreSummaryDto } from '@koredump/api';
import {
  ApiWatchStream,
  DownloadQueryDto,
  ListCoresQueryDto,
  WATCH_STREAM_DOC,
  WatchCoresQueryDto,
} from '@koredump/api';
import { sendCore } from './send-core.js';
import { CollectorMetrics } from '../metrics/collector-metrics.js';

const CORE_ID_PARAM = {
  name: 'id',
  description: 'Core id (the file name in the coredump directory)',
  example: 'core.crasher.0.3f1c6b0e2a8d4c5f9e7b1a2c3d4e5f60.4242.1764355200000000.zst',
};

@ApiTags('cores')
@ApiTokenAuth()
@ApiBadRequestResponse({ type: ApiErrorDto, description: 'Malformed parameter' })
@ApiForbiddenResponse({
  type: ApiErrorDto,
  description: "RBAC does not allow this on coredumps.koredump.io in the core's namespace",
})
@Controller('apiv1/cores')
export class CoresController {
  constructor(
    private readonly cores: CoresService,
    private readonly catalog: CoreCatalog,
    private readonly metrics: CollectorMetrics,
    private readonly watcher: CoresWatchService,
  ) {}

  @Get()
  @ApiOperation({ summary: "This node's cores, oldest first (compact records)" })
  @ApiOkResponse({ type: [CoreSummaryDto] })
  async list(
    @Query() query: ListCoresQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<StreamableFile> {
    // The body is JSON serialized ahead of time (per core, or the whole list): sent as bytes.
    const body = await this.cores.listBody(query, caller);
    return new StreamableFile(body, {
      type: 'application/json; charset=utf-8',
      length: body.length,
    });
  }

  @Get('watch')
  @ApiOperation({
    summary: "Live changes of this node's cores (Server-Sent Events)",
    description: WATCH_STREAM_DOC,
  })
  @ApiWatchStream()
  watch(
    @Query() query: WatchCoresQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
    @CurrentCaller() caller: Caller,
  ): void {
    this.watcher.open(query, caller, lastEventId, res);
  }

  @Get('metadata/:id')
  @ApiOperation({
    summary: 'The full record of one core (every journal field, stack trace in MESSAGE)',
  })
  @ApiParam(CORE_ID_PARAM)
  @ApiOkResponse({ type: CoreRecordDto })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  metadata(
    @Param('id') id: string,
    @CurrentCaller() caller: Caller,
  ): Promise<Record<string, unknown>> {
    return this.cores.metadata(id, caller);
  }

  @Get('download/:id')
  @ApiOperation({
    summary: 'Stream the core file (GET or HEAD)',
    description:
      'Range (single byte range), If-None-Match, If-Modified-Since and If-Range are honoured. With decompress=true the decompressed core is streamed chunked (no Range). A failure after the headers aborts the connection.',
  })
  @ApiParam(CORE_ID_PARAM)
  @ApiProduces('application/octet-stream')
  @ApiResponse({
    status: 200,
    description: 'The core',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiResponse({ status: 206, description: 'The requested byte range' })
  @ApiResponse({ status: 304, description: 'Not modified' })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  @ApiResponse({ status: 416, type: ApiErrorDto, description: 'Range not satisfiable' })
  async download(
    @Param('id') id: string,
    @Query() query: DownloadQueryDto,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentCaller() caller: Caller,
  ): Promise<void> {
    const record = await this.cores.findForDownload(id, caller);
    await sendCore(
      req,
      res,
      this.catalog.coreDir,
      record,
      query.decompress === 'true',
      this.metrics.downloads,
    );
  }
}
