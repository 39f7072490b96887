import { ConsoleLogger, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { buildOpenApiDocument, serveOpenApi } from '@koredump/http';
import type { OpenAPIObject } from '@nestjs/swagger';
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';

import { AggregatorConfig } from './aggregator.config.js';
import { AggregatorModule } from './aggregator.module.js';

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

export const AGGREGATOR_VERSION = packageVersion();

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
  logLevels: LogLevel[] = ['log', 'error', 'warn', 'fatal'],
): Promise<INestApplication> {
  const app = await NestFactory.create(AggregatorModule.forRoot(config), {
    logger: new ConsoleLogger({
      logLevels,
      json: config.logFormat === 'json',
      prefix: 'koredump-aggregator',
      colors: config.logFormat === 'text' && process.stdout.isTTY,
    }),
    bodyParser: false,
  });
  app.enableShutdownHooks();
  const express = app.getHttpAdapter().getInstance() as {
    set(key: string, value: unknown): void;
    disable(key: string): void;
  };
  // No weak ETag hashing of list bodies; no X-Powered-By on anything (downloads included).
  express.set('etag', false);
  express.disable('x-powered-by');
  serveOpenApi(app, aggregatorOpenApi(app));
  return app;
}

/**
 * Listens; downloads of large cores to slow clients are never cut off by a server timeout
 * (only receiving a request is bounded).
 */
export async function listen(app: INestApplication, port: number, host: string): Promise<Server> {
  await app.listen(port, host);
  const server = app.getHttpServer() as Server;
  server.setTimeout(0);
  server.requestTimeout = 60_000;
  return server;
}
