import type { INestApplication, LogLevel } from '@nestjs/common';
import { buildOpenApiDocument, createHttpApp, packageVersion, serveOpenApi } from '@koredump/http';

import type { OpenAPIObject } from '@nestjs/swagger';

import { AggregatorConfig } from './aggregator.config.js';
import { AggregatorModule } from './aggregator.module.js';

export { listen } from '@koredump/http';

export const AGGREGATOR_VERSION = packageVersion(__dirname);

/** The aggregator's OpenAPI document (served at /openapi.json and checked in under openapi/). */
export function aggregatorOpenApi(app: INestApplication): OpenAPIObject {
  return buildOpenApiDocument(app, {
    title: 'koredump aggregator',
    description: `Cluster-wide coredump API (Service koreapi): lists every node's cores in parallel with per-node deadlines, and proxies metadata and streaming downloads to the node-collector of the core's node.`,
    version: AGGREGATOR_VERSION,
  });
}

/** Creates the aggregator app, listening or not; main.ts, the tests and the OpenAPI script share it. */
export async function createAggregatorApp(
  config: AggregatorConfig,
  logLevels?: LogLevel[],
): Promise<INestApplication> {
  const app = await createHttpApp(AggregatorModule.forRoot(config), {
    name: 'koredump-aggregator',
    logFormat: config.logFormat,
    logLevels,
  });
  serveOpenApi(app, aggregatorOpenApi(app));
  return app;
}
