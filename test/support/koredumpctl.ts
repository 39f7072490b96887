/**
 * Test support for koredumpctl: run it in-process through nest-commander's CommandTestFactory
 * with its output captured (OutputService overridden) and its environment controlled
 * (CliEnvironment overridden); run the BUNDLED CLI (dist/koredumpctl.cjs) or the single
 * executable as a real process; and a small stub API that records the requests it gets.
 */
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { CommandTestFactory } from 'nest-commander-testing';

import { normalizeArgs } from '../../apps/koredumpctl/src/argv.js';
import { DebuggerLauncher } from '../../apps/koredumpctl/src/debugger.js';
import { CliEnvironment } from '../../apps/koredumpctl/src/environment.js';
import { ExitStatus } from '../../apps/koredumpctl/src/exit-status.js';
import { ANSI, PLAIN, type Style } from '../../apps/koredumpctl/src/format/style.js';
import {
  CLI_FACTORY_OPTIONS,
  KoredumpctlModule,
} from '../../apps/koredumpctl/src/koredumpctl.module.js';
import { OutputService } from '../../apps/koredumpctl/src/output.service.js';
import { sendJson, spawnBuiltAggregator, type SpawnedAggregator } from './aggregator.js';
import { spawnBuiltCollector, type SpawnedCollector } from './collector.js';
import { run, type RunResult } from './exec.js';

const ROOT = join(__dirname, '../..');
export const CLI_BUNDLE = join(ROOT, 'dist/koredumpctl.cjs');
export const CLI_EXECUTABLE = join(ROOT, 'dist/koredumpctl');

/** OutputService that keeps what was written; terminal-ness and width are settable. */
export class CapturedOutput extends OutputService {
  out = '';
  err = '';
  tty = false;
  width: number | undefined;

  override stdout(text: string): void {
    this.out += text;
  }

  override stderr(text: string): void {
    this.err += text;
  }

  override get stdoutIsTTY(): boolean {
    return this.tty;
  }

  override get stderrIsTTY(): boolean {
    return this.tty;
  }

  override get columns(): number | undefined {
    return this.width;
  }

  override get stderrColumns(): number {
    return this.width ?? 80;
  }

  override get style(): Style {
    return this.tty ? ANSI : PLAIN;
  }

  override get errStyle(): Style {
    return this.tty ? ANSI : PLAIN;
  }

  override flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** CliEnvironment with fixed variables, directories and clock. */
export class TestEnvironment extends CliEnvironment {
  constructor(
    private readonly vars: NodeJS.ProcessEnv,
    private readonly dir: string,
    private readonly home: string,
    private readonly clock?: Date,
  ) {
    super();
  }

  override get env(): NodeJS.ProcessEnv {
    return this.vars;
  }

  override cwd(): string {
    return this.dir;
  }

  override homedir(): string {
    return this.home;
  }

  override now(): Date {
    return this.clock ?? new Date();
  }
}

export interface InProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  home?: string;
  now?: Date;
  tty?: boolean;
  columns?: number;
  /** Replaces the debugger launcher (no real process). */
  launcher?: Pick<DebuggerLauncher, 'launch'>;
}

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs koredumpctl in this process through CommandTestFactory: the real module, with output and
 * environment overridden. Arguments are normalised as the real entry point does.
 */
export async function runInProcess(
  args: string[],
  opts: InProcessOptions = {},
): Promise<CliResult> {
  const out = new CapturedOutput();
  out.tty = opts.tty ?? false;
  out.width = opts.columns;
  const home = opts.home ?? '/nonexistent-home';
  let builder = CommandTestFactory.createTestingCommand(
    { imports: [KoredumpctlModule] },
    CLI_FACTORY_OPTIONS,
  )
    .overrideProvider(OutputService)
    .useValue(out)
    .overrideProvider(CliEnvironment)
    .useValue(new TestEnvironment(opts.env ?? {}, opts.cwd ?? '/', home, opts.now));
  if (opts.launcher) builder = builder.overrideProvider(DebuggerLauncher).useValue(opts.launcher);
  const app = await builder.compile();
  const status = app.get(ExitStatus);
  await CommandTestFactory.run(app, normalizeArgs(args));
  return { stdout: out.out, stderr: out.err, code: status.code };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) {
      newest = Math.max(newest, statSync(p).mtimeMs);
    }
  }
  return newest;
}

function upToDate(output: string): boolean {
  if (!existsSync(output)) return false;
  const sources = Math.max(
    newestMtime(join(ROOT, 'apps/koredumpctl/src')),
    newestMtime(join(ROOT, 'libs/journal/src')),
    newestMtime(join(ROOT, 'libs/sse/src')),
    statSync(join(ROOT, 'scripts/build-cli.js')).mtimeMs,
    statSync(join(ROOT, 'package.json')).mtimeMs,
  );
  return statSync(output).mtimeMs > sources;
}

/** Builds dist/koredumpctl.cjs (`npm run build:cli -- --bundle-only`) unless it is up to date. */
export async function ensureCliBundle(): Promise<string> {
  if (!upToDate(CLI_BUNDLE)) {
    await run(process.execPath, [join(ROOT, 'scripts/build-cli.js'), '--bundle-only'], {
      cwd: ROOT,
      timeoutMs: 120_000,
    });
  }
  return CLI_BUNDLE;
}

/** Builds the single executable dist/koredumpctl (`npm run build:cli`) unless it is up to date. */
export async function ensureCliExecutable(): Promise<string> {
  if (!upToDate(CLI_EXECUTABLE) || !upToDate(CLI_BUNDLE)) {
    await run(process.execPath, [join(ROOT, 'scripts/build-cli.js')], {
      cwd: ROOT,
      timeoutMs: 300_000,
    });
  }
  return CLI_EXECUTABLE;
}

/** A clean environment for a CLI process: no KOREDUMP_* or KUBECONFIG from the test runner. */
export function cliEnv(vars: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/nonexistent-home',
    TZ: 'UTC',
    LANG: 'C.UTF-8',
  };
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs the bundled CLI (`node dist/koredumpctl.cjs …`) as its own process; never rejects on exit codes. */
export async function runBundled(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; argv0?: string } = {},
): Promise<CliResult> {
  const r: RunResult = await run(process.execPath, [CLI_BUNDLE, ...args], {
    env: opts.env ?? cliEnv(),
    cwd: opts.cwd ?? '/',
    timeoutMs: opts.timeoutMs ?? 60_000,
    allowFailure: true,
  });
  return { stdout: r.stdout, stderr: r.stderr, code: r.code ?? 128 };
}

// ---------------------------------------------------------------------------------------------

export interface StubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
}

export type StubHandler = (req: StubRequest, res: ServerResponse) => void;

export interface StubApi {
  url: string;
  requests: StubRequest[];
  /** Routes by `METHOD /path` (exact path, no query) or by path alone. */
  routes: Map<string, StubHandler>;
  close(): Promise<void>;
}

/**
 * A tiny HTTP server with canned answers, recording every request (for tests of what the CLI
 * sends and how it prints what it gets). Unknown routes answer koredump's 404 JSON.
 */
export async function startStubApi(routes: Record<string, StubHandler> = {}): Promise<StubApi> {
  const stub: StubApi = {
    url: '',
    requests: [],
    routes: new Map(Object.entries(routes)),
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const r: StubRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
    };
    stub.requests.push(r);
    const handler = stub.routes.get(`${r.method} ${r.path}`) ?? stub.routes.get(r.path);
    req.resume();
    if (handler) handler(r, res);
    else sendJson(res, 404, { statusCode: 404, error: 'Not Found', message: `no route ${r.path}` });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}

// ---------------------------------------------------------------------------------------------

export interface KoredumpStack {
  collector: SpawnedCollector;
  aggregator: SpawnedAggregator;
  /** The aggregator: the API koredumpctl talks to. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The real thing, built (`npm run build`): one node-collector and the aggregator in front of it
 * (static collector list), as separate processes. Auth is off unless the env turns it on.
 */
export async function startKoredumpStack(opts: {
  node: string;
  collectorEnv?: Record<string, string>;
  aggregatorEnv?: Record<string, string>;
}): Promise<KoredumpStack> {
  for (const app of ['node-collector', 'aggregator']) {
    if (!existsSync(join(ROOT, `dist/apps/${app}/src/main.js`))) {
      throw new Error(`dist/apps/${app}/src/main.js is missing: run \`npm run build\` first`);
    }
  }
  const collector = await spawnBuiltCollector({
    KOREDUMP_NODE_NAME: opts.node,
    ...opts.collectorEnv,
  });
  let aggregator: SpawnedAggregator;
  try {
    aggregator = await spawnBuiltAggregator({
      KOREDUMP_COLLECTORS: `${opts.node}=${collector.url}`,
      ...opts.aggregatorEnv,
    });
  } catch (err) {
    await collector.stop();
    throw err;
  }
  return {
    collector,
    aggregator,
    url: aggregator.url,
    stop: async () => {
      await aggregator.stop();
      await collector.stop();
    },
  };
}

/**
 * A TCP proxy to `target` that cuts every connection once it has passed `cutAfter` bytes from the
 * server to the client (the client gets exactly those bytes, then the connection closes; the
 * server's side is reset): a download that breaks half-way.
 */
export async function startCuttingProxy(
  target: string,
  cutAfter: number,
): Promise<{ url: string; cut: number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const state = { url: '', cut: 0, close: () => Promise.resolve() };
  const server = createNetServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let passed = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const room = cutAfter - passed;
      if (room <= 0) return;
      passed += chunk.length;
      if (chunk.length < room) {
        client.write(chunk);
        return;
      }
      state.cut++;
      upstream.resetAndDestroy();
      client.end(chunk.subarray(0, room));
    });
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy()).on('close', () => upstream.destroy());
    upstream.on('error', () => client.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
