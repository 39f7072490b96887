import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A free TCP port on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer();
  srv.listen(0, host);
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface SpawnedApp {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs a BUILT koredump server (`npm run build` first) as its own process, as production does
 * (auth off and no Kubernetes unless env says otherwise). It listens on env.HOST (default
 * 127.0.0.1; any 127.x.y.z works on Linux) and env.PORT (default: a free port); resolves once
 * /readyz answers 200, or with waitReady false once it answers at all. `distDir` runs another build
 * (the benchmark's baseline).
 */
export async function spawnBuiltApp(
  app: 'node-collector' | 'aggregator',
  env: Record<string, string>,
  options: { waitReady?: boolean; distDir?: string } = {},
): Promise<SpawnedApp> {
  const host = env.HOST ?? '127.0.0.1';
  const port = env.PORT ? Number(env.PORT) : await freePort(host);
  const dist = options.distDir ?? join(__dirname, '../../dist');
  const main = join(dist, `apps/${app}/src/main.js`);
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
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.ok || options.waitReady === false) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${app} not ready after 20 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
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
