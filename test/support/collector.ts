import type { INestApplication } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { createCollectorApp, listen } from '../../apps/node-collector/src/bootstrap.js';
import {
  loadCollectorConfig,
  type CollectorConfig,
} from '../../apps/node-collector/src/collector.config.js';

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
  const server = await listen(app, 0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, app, close: () => app.close() };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer();
  srv.listen(0, host);
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface SpawnedCollector {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs the BUILT collector (`npm run build` first) as its own process, as production does. It
 * listens on env.HOST (default 127.0.0.1; any 127.x.y.z works on Linux) and env.PORT (default: a
 * free port).
 */
export async function spawnBuiltCollector(env: Record<string, string>): Promise<SpawnedCollector> {
  const host = env.HOST ?? '127.0.0.1';
  const port = env.PORT ? Number(env.PORT) : await freePort(host);
  const main = join(__dirname, '../../dist/apps/node-collector/src/main.js');
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NO_TOKENS: '1',
      FAKE_K8S: '1',
      ...env,
      HOST: host,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://${host}:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`collector exited with ${child.exitCode}:\n${out}`);
    }
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`collector not ready after 20 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}
