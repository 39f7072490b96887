import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';

import { createCollectorApp, listen } from '../../apps/node-collector/src/bootstrap.js';
import {
  loadCollectorConfig,
  type CollectorConfig,
} from '../../apps/node-collector/src/collector.config.js';
import { spawnBuiltApp, type SpawnedApp } from './built-app.js';

export interface RunningCollector {
  url: string;
  app: INestApplication;
  close(): Promise<void>;
}

/** Starts the collector app in this process on a free loopback port (real HTTP). */
export async function startCollector(
  config: Partial<CollectorConfig> & { coreDir: string },
): Promise<RunningCollector> {
  const full: CollectorConfig = {
    ...loadCollectorConfig({ FAKE_K8S: '1', NO_TOKENS: '1', KOREDUMP_NODE_NAME: 'test-node' }),
    port: 0,
    host: '127.0.0.1',
    podLogsDir: '/nonexistent',
    ...config,
  };
  const app = await createCollectorApp(full, ['error', 'fatal']);
  const server = await listen(app, full.port, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, app, close: () => app.close() };
}

export { freePort } from './built-app.js';

export type SpawnedCollector = SpawnedApp;

/** Runs the BUILT collector (see spawnBuiltApp). */
export function spawnBuiltCollector(
  env: Record<string, string>,
  distDir?: string,
): Promise<SpawnedCollector> {
  return spawnBuiltApp('node-collector', env, { distDir });
}
