import { Controller, Get, Headers, Param, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiGatewayTimeoutResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrorDto, ApiTokenAuth } from '@koredump/http';
import type { Request, Response } from 'express';

// The records are the collector's, passed through unchanged.
import { ApiWatchStream, CoreRecordDto, CoreSummaryDto, WATCH_STREAM_DOC } from '@koredump/api';
import { AggregatorConfig } from '../aggregator.config.js';
import { CollectorCallError, toHttpException } from '../collectors/collector-failure.js';
import { DownloadProxy } from '../collectors/download-proxy.js';
import {
  answerFromCollectors,
  callerContext,
  callerToken,
  rethrowWithForwardedHeaders,
} from '../request-context.js';
import { checkCoreId, CoresService, listBody } from './cores.service.js';
import { CoresWatchService } from './cores-watch.service.js';
import {
  AggregatorListQueryDto,
  AggregatorWatchQueryDto,
  DownloadQueryDto,
} from './dto/list-cores.query.js';

const NODE_PARAM = {
  name: 'node',
  description: 'Node name (as in the list records and /apiv1/nodes)',
  example: 'worker-1',
};
const CORE_ID_PARAM = {
  name: 'id',
  description: `Core id (the file name in the node's coredump directory)`,
  example: 'core.crasher.0.3f1c6b0e2a8d4c5f9e7b1a2c3d4e5f60.4242.1764355200000000.zst',
};

@ApiTags('cores')
@ApiTokenAuth(
  'Discovery not synced yet, the collector pod not ready, or a token/permission check impossible (Kubernetes API unavailable)',
)
@ApiBadRequestResponse({ type: ApiErrorDto, description: 'Malformed parameter' })
@ApiBadGatewayResponse({
  type: ApiErrorDto,
  description: 'The collector is unreachable or failed (5xx); the message names the node',
})
@ApiGatewayTimeoutResponse({
  type: ApiErrorDto,
  description: 'The collector did not answer within KOREDUMP_NODE_TIMEOUT_MS',
})
@Controller('apiv1/cores')
export class CoresController {
  constructor(
    private readonly cores: CoresService,
    private readonly proxy: DownloadProxy,
    private readonly config: AggregatorConfig,
    private readonly watcher: CoresWatchService,
  ) {}

  @Get()
  @ApiOperation({
    summary: `Every node's cores, oldest first (compact records), fetched in parallel`,
    description: `Each collector is asked in parallel with a per-node deadline and sees the caller's token, so the list is exactly what each collector lets the caller see. A node that is down, slow or failing is left out and named in a \`Warning: 199 koredump "nodes left out: …"\` header; when no node answers the list fails (the nodes' common 4xx, else 502/503/504). With \`limit\`, a \`X-Next-Cursor\` and \`Link: <?…&cursor=…>; rel="next"\` header lead to the next page.`,
  })
  @ApiOkResponse({
    type: [CoreSummaryDto],
    headers: {
      Warning: {
        description: 'Nodes left out, with why: `199 koredump "nodes left out: node-b (…)"`',
        schema: { type: 'string' },
      },
      'X-Next-Cursor': {
        description: 'Cursor of the next page (only with limit, when more cores follow)',
        schema: { type: 'string' },
      },
      Link: {
        description: 'The next page as `<?…&cursor=…>; rel="next"` (relative to this URL)',
        schema: { type: 'string' },
      },
    },
  })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'Unknown node in `node`' })
  @ApiForbiddenResponse({ type: ApiErrorDto, description: 'Every collector refused the caller' })
  async list(
    @Query() query: AggregatorListQueryDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const result = await answerFromCollectors(
      res,
      this.cores.list(query, callerContext(req, res, this.config)),
    );
    if (result.next) {
      res.setHeader('X-Next-Cursor', result.next);
      res.setHeader('Link', `<?${nextQuery(query, result.next)}>; rel="next"`);
    }
    const body = listBody(result.items);
    return new StreamableFile(body, {
      type: 'application/json; charset=utf-8',
      length: body.length,
    });
  }

  @Get('watch')
  @ApiOperation({
    summary: "Live changes of every node's cores (Server-Sent Events), merged",
    description: `Every collector's stream, merged; each record has its \`node\` as in the list. The collectors apply the filters and the caller's RBAC view (the caller's token is passed on as for the list); collectors that appear later are watched too, and one that drops is reconnected with backoff (resuming with its last event id). Event ids are crash times across nodes, so a resume assumes the nodes' clocks agree.\n\n${WATCH_STREAM_DOC}`,
  })
  @ApiWatchStream()
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'Unknown node in `node`' })
  watch(
    @Query() query: AggregatorWatchQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): void {
    this.watcher.open(query, callerToken(req, this.config), lastEventId, res);
  }

  @Get('metadata/:node/:id')
  @ApiOperation({
    summary: `The full record of one core, from its node's collector`,
  })
  @ApiParam(NODE_PARAM)
  @ApiParam(CORE_ID_PARAM)
  @ApiOkResponse({ type: CoreRecordDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'Unknown node, or no such core' })
  @ApiForbiddenResponse({ type: ApiErrorDto, description: 'The collector refused (RBAC)' })
  async metadata(
    @Param('node') node: string,
    @Param('id') id: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    try {
      return await this.cores.metadata(node, id, callerContext(req, res, this.config));
    } catch (err) {
      rethrowWithForwardedHeaders(res, err);
    }
  }

  @Get('download/:node/:id')
  @ApiOperation({
    summary: `Stream the core from its node's collector (GET or HEAD)`,
    description:
      'One streamed proxy: Range, If-Range, If-None-Match and If-Modified-Since are passed on; 200/206/304/416 and their headers come back as the collector sent them. With decompress=true the decompressed core is streamed chunked (no Range). A collector failure after the headers aborts the connection; a download has no time limit once started.',
  })
  @ApiParam(NODE_PARAM)
  @ApiParam(CORE_ID_PARAM)
  @ApiHeader({ name: 'Range', required: false, description: 'One byte range: bytes=0-1023' })
  @ApiProduces('application/octet-stream')
  @ApiResponse({
    status: 200,
    description: 'The core',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiResponse({ status: 206, description: 'The requested byte range' })
  @ApiResponse({ status: 304, description: 'Not modified' })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'Unknown node, or no such core' })
  @ApiForbiddenResponse({ type: ApiErrorDto, description: 'The collector refused (RBAC)' })
  @ApiResponse({ status: 416, type: ApiErrorDto, description: 'Range not satisfiable' })
  async download(
    @Param('node') node: string,
    @Param('id') id: string,
    @Query() query: DownloadQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const target = this.cores.target(node);
    checkCoreId(id);
    try {
      await this.proxy.send(req, res, {
        target,
        id,
        decompress: query.decompress === 'true',
        method: req.method === 'HEAD' ? 'HEAD' : 'GET',
        token: callerToken(req, this.config),
        headerTimeoutMs: this.config.nodeTimeoutMs,
      });
    } catch (err) {
      if (err instanceof CollectorCallError) {
        rethrowWithForwardedHeaders(res, toHttpException(node, err.failure));
      }
      throw err;
    }
  }
}

/** The query of the next page: the validated parameters as given, with the new cursor. */
function nextQuery(query: AggregatorListQueryDto, cursor: string): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (name !== 'cursor' && value !== undefined && value !== '') q.set(name, String(value));
  }
  q.set('cursor', cursor);
  return q.toString();
}
