import {
  ConsoleLogger,
  type DynamicModule,
  type INestApplication,
  type LogLevel,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';

import { MetricsRegistry } from './metrics/metrics-registry.js';

/** The version in the repository's package.json, found upward from `from` (source and dist alike). */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    }
  }
  return '0.0.0';
}

export interface HttpAppOptions {
  /** Log line prefix, e.g. koredump-collector. */
  name: string;
  logFormat: 'text' | 'json';
  logLevels?: LogLevel[];
}

/**
 * A koredump server app: Nest logger (JSON lines in-cluster), shutdown hooks, no body parser (no
 * route takes a body), no Express ETag hashing of multi-MB list bodies, no X-Powered-By, and
 * request timing for /metrics (the module must import MetricsModule).
 */
export async function createHttpApp(
  module: DynamicModule,
  options: HttpAppOptions,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, {
    logger: new ConsoleLogger({
      logLevels: options.logLevels ?? ['log', 'error', 'warn', 'fatal'],
      json: options.logFormat === 'json',
      prefix: options.name,
      colors: options.logFormat === 'text' && process.stdout.isTTY,
    }),
    bodyParser: false,
  });
  app.enableShutdownHooks();
  const express = app.getHttpAdapter().getInstance() as {
    set(key: string, value: unknown): void;
    disable(key: string): void;
  };
  express.set('etag', false);
  express.disable('x-powered-by');
  // Before Nest's routes (registered at init), so every request is timed, 401s and 404s included.
  const metrics = app.get(MetricsRegistry, { strict: false });
  if (metrics.enabled) app.use(metrics.httpMiddleware());
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
