import type { INestApplication, LogLevel } from '@nestjs/common';
import { buildOpenApiDocument, createHttpApp, packageVersion, serveOpenApi } from '@koredump/http';

import type { OpenAPIObject } from '@nestjs/swagger';

import { CollectorConfig } from './collector.config.js';
import { NodeCollectorModule } from './node-collector.module.js';

export { listen } from '@koredump/http';

export const COLLECTOR_VERSION = packageVersion(__dirname);
const version = COLLECTOR_VERSION;

/** The collector's OpenAPI document (served at /openapi.json and checked in under openapi/). */
export function collectorOpenApi(app: INestApplication): OpenAPIObject {
  return buildOpenApiDocument(app, {
    title: 'koredump node-collector',
    description:
      "Per-node coredump API: lists, describes and streams this node's systemd-coredump cores.",
    version,
  });
}

/** Creates the collector app, listening or not; main.ts and the tests share it. */
export async function createCollectorApp(
  config: CollectorConfig,
  logLevels?: LogLevel[],
): Promise<INestApplication> {
  const app = await createHttpApp(NodeCollectorModule.forRoot(config), {
    name: 'koredump-collector',
    logFormat: config.logFormat,
    logLevels,
  });
  serveOpenApi(app, collectorOpenApi(app));
  return app;
}
