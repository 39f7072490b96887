import { ConsoleLogger, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { buildOpenApiDocument, serveOpenApi } from '@koredump/http';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Server } from 'node:http';

import { CollectorConfig } from './collector.config.js';
import { NodeCollectorModule } from './node-collector.module.js';

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The version in the repository's package.json, found upward from here (source and dist alike). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    }
  }
  return '0.0.0';
}

export const COLLECTOR_VERSION = packageVersion();
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
  logLevels: LogLevel[] = ['log', 'error', 'warn', 'fatal'],
): Promise<INestApplication> {
  const app = await NestFactory.create(NodeCollectorModule.forRoot(config), {
    logger: new ConsoleLogger({
      logLevels,
      json: config.logFormat === 'json',
      prefix: 'koredump-collector',
      colors: config.logFormat === 'text' && process.stdout.isTTY,
    }),
    bodyParser: false,
  });
  app.enableShutdownHooks();
  // Express would hash every list body (7 MB at 10,000 cores) for a weak ETag nobody uses.
  (app.getHttpAdapter().getInstance() as { set(key: string, value: unknown): void }).set(
    'etag',
    false,
  );
  serveOpenApi(app, collectorOpenApi(app));
  return app;
}

/** Listens; downloads of large cores to slow clients are never cut off by a server timeout. */
export async function listen(app: INestApplication, port: number, host: string): Promise<Server> {
  await app.listen(port, host);
  const server = app.getHttpServer() as Server;
  server.setTimeout(0);
  server.requestTimeout = 60_000; // bounds receiving a request, not sending the response
  return server;
}
