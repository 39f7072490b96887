/**
 * node-collector benchmark (`npm run bench`): builds the collector, then measures the BUILT
 * collector (dist/apps/node-collector/src/main.js, spawned as production runs it) and prints a
 * markdown table of measured figures against targets:
 *
 *   1. GET /apiv1/cores latency with 100, 1,000 and 10,000 cores (sequential and concurrency 10)
 *   2. index build time at startup with 10,000 cores (log line and spawn → /readyz)
 *   3. crash → visible in GET /apiv1/cores, real kernel → systemd-coredump → journald path
 *   4. 1 GiB download throughput against nginx (sendfile) serving the same file
 *   5. decompress=true throughput against `zstd -dc`
 *   6. peak RSS of the collector during the downloads of 4 and 5
 *   7. the cost of Kubernetes auth: GET /apiv1/cores/metadata/:id req/s at concurrency 50 with a
 *      valid token (TokenReview/SubjectAccessReview cache warm) vs NO_TOKENS=1, same cores, and
 *      the TokenReview/SubjectAccessReview calls the fake apiserver (test/support) saw meanwhile
 *   8. GET /apiv1/cores latency, 1,000 cores, RBAC (warm) vs NO_TOKENS=1 (information)
 *   9. issue 7's cost: GET /apiv1/cores at 10,000 cores (with stack traces, /metrics scraped
 *      meanwhile) on this build vs a baseline build of BENCH_BASELINE_REF (before issue 7)
 *  10. the cost of /metrics on GET /apiv1/cores at 10,000 cores: the collector's CPU time per
 *      request with KOREDUMP_METRICS=1 vs 0 (CPU time, not latency: it hardly depends on what
 *      else the machine runs), and its CPU time per /metrics scrape
 *
 * `npm run bench` compiles this file (and the test/support helpers it imports) with
 * bench/tsconfig.json into .bench/build (git-ignored) and runs it; the report is also written to
 * .bench/collector-bench-latest.md. Every row runs in its own try/catch (a failed row prints
 * `error: …`). Temp files live in one mkdtemp dir; processes and host changes are undone in
 * `finally` blocks and on SIGINT/SIGTERM/SIGHUP. Needs root (row 3), nginx, curl, zstd,
 * systemd-journal-remote, openssl (rows 7–8: the fake apiserver's certificates) and wrk for rows
 * 7–8; uses wrk for row 1 when installed (node:http otherwise). The report, cleanup, clients,
 * nginx and /proc sampling come from bench/support.ts (shared with the other benches).
 *
 * Environment knobs (all optional):
 *   BENCH_ROWS=1,4      only these rows (6 needs 4 or 5; default 1–10)
 *   BENCH_BASELINE_REF  row 9's baseline commit (default 885c309, the last before issue 7)
 *   BENCH_CPU_PROF=dir  CPU-profile every collector (inspector profiler, written on stop) into dir
 *   BENCH_CLIENT=node   row 1 with the in-process node:http client even when wrk is installed
 *   BENCH_KEEP=1        keep the temp dir and the fixtures in it (its path is printed)
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import { spawnBuiltCollector, type SpawnedCollector } from '../test/support/collector.js';
import { startCoredumpHost, type CoredumpHost } from '../test/support/coredump-host.js';
import { buildCrasher, crash, type CrashResult } from '../test/support/crasher.js';
import { run, runBuffer, sleep } from '../test/support/exec.js';
import {
  startFakeApiServer,
  type FakeApiServer,
  type RecordedRequest,
} from '../test/support/fake-apiserver.js';
import { coredumpEntry, writeJournalFile, type FixtureEntry } from '../test/support/fixtures.js';

import {
  GiB,
  KEEP,
  MiB,
  ProcSampler,
  Report,
  after,
  benchWorkDir,
  curl,
  ensureBuilt,
  getJson,
  haveWrk,
  httpGet,
  killChild,
  log,
  mibs,
  median,
  ms,
  pctOf,
  percentile,
  pool,
  removeTree,
  repoRoot,
  runMain,
  startNginx,
  undo,
  wantedRows,
  wrk,
  type CurlResult,
  type Nginx,
  type Timed,
  type WrkResult,
} from './support.js';

const LIST_SIZES = [100, 1_000, 10_000] as const;
const SEQ_REQUESTS = 50;
const CONC_REQUESTS = 200;
const CONCURRENCY = 10;
const STARTUPS_10K = 3;
const CRASHES = 5;
const DOWNLOAD_RUNS = 3;
const OVERALL_DEADLINE_MS = 14 * 60_000;
const BOOT_ID = randomBytes(16).toString('hex');

const report = new Report('collector-bench', 'koredump node-collector benchmark', [
  'nginx',
  'zstd',
  'curl',
]);
const { addRow, errorRow, note } = report;
const { track, undoAll, checkAborted } = undo;

// ---------------------------------------------------------------------------------------------
// The built collector

function collectorEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { KOREDUMP_NODE_NAME: 'bench-node', ...extra };
  if (cpuProf) env.NODE_OPTIONS = `--require ${cpuProf.preload}`;
  return env;
}

/** Set by main() from BENCH_CPU_PROF. */
let cpuProf: { dir: string; preload: string } | undefined;

/**
 * CPU profiles of the collectors (--cpu-prof is not allowed in NODE_OPTIONS, and Nest re-raises
 * SIGTERM, so a normal-exit profile would never be written): a preload starts the inspector's
 * profiler and, on SIGTERM, writes <dir>/collector-<pid>.cpuprofile and exits.
 */
async function setUpCpuProf(work: string, dir: string): Promise<void> {
  const out = resolve(dir);
  await mkdir(out, { recursive: true });
  const preload = join(work, 'cpu-prof-preload.js');
  await writeFile(
    preload,
    [
      "const inspector = require('node:inspector');",
      "const { writeFileSync } = require('node:fs');",
      'const session = new inspector.Session();',
      'session.connect();',
      "session.post('Profiler.enable');",
      "session.post('Profiler.setSamplingInterval', { interval: 250 });",
      "session.post('Profiler.start');",
      "process.prependListener('SIGTERM', () => {",
      "  session.post('Profiler.stop', (err, res) => {",
      `    if (!err) writeFileSync(${JSON.stringify(out)} + '/collector-' + process.pid + '.cpuprofile', JSON.stringify(res.profile));`,
      '    process.exit(0);',
      '  });',
      '});',
      '',
    ].join('\n'),
  );
  cpuProf = { dir: out, preload };
}

interface Started {
  c: SpawnedCollector;
  /** spawn → first 200 from /readyz (spawnBuiltCollector polls every 100 ms). */
  wallMs: number;
  /** From the collector's `indexed N cores … in X ms` line. */
  indexMs?: number;
  indexedCores?: number;
  stop: () => Promise<void>;
}

const INDEX_LINE = /indexed (\d+) cores in .*? \((\d+) journal entries\) in (\d+) ms/;

async function startCollector(env: Record<string, string>): Promise<Started> {
  const t0 = performance.now();
  const c = await spawnBuiltCollector(collectorEnv(env));
  const wallMs = performance.now() - t0;
  const stop = track(`collector pid ${c.child.pid}`, () => killChild(c.child));
  // The log line is written before listen(); give stdout a moment to be read.
  let m: RegExpExecArray | null = null;
  for (let i = 0; i < 50 && !(m = INDEX_LINE.exec(c.output())); i++) await sleep(10);
  return {
    c,
    wallMs,
    indexMs: m ? Number(m[3]) : undefined,
    indexedCores: m ? Number(m[1]) : undefined,
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Fixture generation

const COMMS = [
  'nginx',
  'envoy',
  'python3',
  'java',
  'node',
  'redis-server',
  'postgres',
  'api-server',
];
const LIBS = [
  'ld-linux-x86-64.so.2',
  'libc.so.6',
  'libm.so.6',
  'libstdc++.so.6.0.30',
  'libgcc_s.so.1',
  'libssl.so.3',
  'libcrypto.so.3',
  'libz.so.1.2.13',
  'libzstd.so.1.5.4',
  'libpthread.so.0',
];

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const addr = (v: bigint): string => v.toString(16).padStart(12, '0');

/** /proc/PID/maps of a dynamically linked process with ASLR: ~50 lines, ~5 KB. */
function procMaps(exe: string): string {
  const lines: string[] = [];
  const seg = (
    start: bigint,
    pages: number,
    perm: string,
    off: number,
    ino: number,
    path: string,
  ) => {
    const end = start + BigInt(pages * 4096);
    lines.push(
      `${addr(start)}-${addr(end)} ${perm} ${off.toString(16).padStart(8, '0')} fe:00 ${ino}`.padEnd(
        73,
      ) + path,
    );
    return end;
  };
  let a = 0x550000000000n + BigInt(randomBytes(4).readUInt32LE()) * 4096n;
  const exeIno = 1_000_000 + randomBytes(2).readUInt16LE();
  for (const [perm, pages] of [
    ['r--p', 4],
    ['r-xp', 120],
    ['r--p', 40],
    ['r--p', 2],
    ['rw-p', 2],
  ] as const) {
    a = seg(a, pages, perm, 0, exeIno, exe);
  }
  a = seg(a + 0x1000000n, 33, 'rw-p', 0, 0, '[heap]');
  a = 0x7f0000000000n + BigInt(randomBytes(4).readUInt32LE()) * 4096n;
  for (const lib of LIBS) {
    const ino = 1_800_000 + randomBytes(2).readUInt16LE();
    const path = `/usr/lib/x86_64-linux-gnu/${lib}`;
    let off = 0;
    for (const [perm, pages] of [
      ['r--p', 6],
      ['r-xp', 90],
      ['r--p', 30],
      ['r--p', 4],
      ['rw-p', 2],
    ] as const) {
      a = seg(a, pages, perm, off, ino, path);
      off += pages * 4096;
    }
    a = seg(a, 3, 'rw-p', 0, 0, '');
  }
  seg(0x7ffc00000000n + BigInt(randomBytes(2).readUInt16LE()) * 4096n, 33, 'rw-p', 0, 0, '[stack]');
  seg(0x7ffd5a1f0000n, 4, 'r--p', 0, 0, '[vvar]');
  seg(0x7ffd5a1f4000n, 2, 'r-xp', 0, 0, '[vdso]');
  lines.push('ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]');
  return lines.join('\n') + '\n';
}

/** A container's environment: Kubernetes service links and app settings, ~3 KB. */
function environ(pod: string, ns: string): string {
  const vars = [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `HOSTNAME=${pod}`,
    'HOME=/root',
    'LANG=C.UTF-8',
    `POD_NAMESPACE=${ns}`,
    `POD_NAME=${pod}`,
    `POD_IP=10.244.${randomBytes(1)[0]}.${randomBytes(1)[0]}`,
    'KUBERNETES_SERVICE_HOST=10.96.0.1',
    'KUBERNETES_SERVICE_PORT=443',
    'KUBERNETES_SERVICE_PORT_HTTPS=443',
    'KUBERNETES_PORT=tcp://10.96.0.1:443',
    'KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443',
    'KUBERNETES_PORT_443_TCP_PROTO=tcp',
    'KUBERNETES_PORT_443_TCP_PORT=443',
    'KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1',
  ];
  for (const svc of ['REDIS', 'POSTGRES', 'AUTH_API', 'BILLING_API', 'SEARCH', 'METRICS']) {
    const ip = `10.96.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
    vars.push(
      `${svc}_SERVICE_HOST=${ip}`,
      `${svc}_SERVICE_PORT=8080`,
      `${svc}_PORT=tcp://${ip}:8080`,
      `${svc}_PORT_8080_TCP=tcp://${ip}:8080`,
      `${svc}_PORT_8080_TCP_ADDR=${ip}`,
    );
  }
  vars.push(
    `REQUEST_TRACE_ID=${hex(16)}`,
    `APP_CONFIG={"logLevel":"info","workers":4,"cache":{"ttl":300,"size":10000},"features":["a","b","c"],"instance":"${hex(8)}"}`,
    `JAVA_TOOL_OPTIONS=-XX:+UseContainerSupport -XX:MaxRAMPercentage=75.0 -Xss512k -Dfile.encoding=UTF-8`,
  );
  return vars.join('\n') + '\n';
}

function mountinfo(cid: string): string {
  const lines = [
    `1290 1131 0:187 / / rw,relatime master:402 - overlay overlay rw,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/${randomBytes(2).readUInt16LE()}/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/${randomBytes(2).readUInt16LE()}/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/${randomBytes(2).readUInt16LE()}/work`,
    '1291 1290 0:189 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
    '1292 1290 0:190 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755',
    '1293 1292 0:191 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620',
    '1294 1292 0:181 / /dev/mqueue rw,nosuid,nodev,noexec,relatime - mqueue mqueue rw',
    '1295 1290 0:185 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro',
    '1296 1295 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw',
    `1297 1290 254:0 /var/lib/kubelet/pods/${randomUUID()}/etc-hosts /etc/hosts rw,relatime - ext4 /dev/vda rw`,
    `1298 1292 254:0 /var/lib/kubelet/pods/${randomUUID()}/containers/app/${hex(4)} /dev/termination-log rw,relatime - ext4 /dev/vda rw`,
    `1299 1290 254:0 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/${cid}/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw`,
    `1300 1290 254:0 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/${cid}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw`,
    '1301 1292 0:180 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k',
    `1302 1290 0:179 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - tmpfs tmpfs rw,size=${randomBytes(2).readUInt16LE()}k`,
  ];
  return lines.join('\n') + '\n';
}

function openFds(): string {
  const out: string[] = [];
  const targets = [
    '/dev/null',
    'pipe:[81234]',
    'pipe:[81235]',
    'socket:[91011]',
    'anon_inode:[eventpoll]',
  ];
  for (let fd = 0; fd < 12; fd++) {
    out.push(
      `${fd}:${targets[fd % targets.length]}\npos:\t0\nflags:\t0${(0o2 + fd).toString(8)}\nmnt_id:\t${15 + fd}\nino:\t${randomBytes(2).readUInt16LE()}`,
    );
  }
  return out.join('\n') + '\n';
}

interface ListDataset {
  n: number;
  coreDir: string;
  journalDir: string;
  journalBytes: number;
  genMs: number;
}

/**
 * N realistic journal entries (journal-remote) + N small zstd core files named like systemd's.
 * Mixed by default: containerd and CRI-O containers in 7 namespaces and host services. With
 * `namespace`, every core is a CRI-O container whose conmon command line names that namespace
 * (attribution `conmon` when the pod is not in the API).
 */
async function makeListDataset(
  work: string,
  n: number,
  opts: { namespace?: string; dirName?: string } = {},
): Promise<ListDataset> {
  const t0 = performance.now();
  const root = join(work, opts.dirName ?? `list-${n}`);
  const coreDir = join(root, 'coredump');
  const journalDir = join(root, 'journal');
  await mkdir(coreDir, { recursive: true });
  await mkdir(journalDir, { recursive: true });
  // One small real zstd core body (a page-marked memory image like the crasher's), shared.
  const image = Buffer.alloc(256 * 1024, 0xab);
  for (let i = 0; i < image.length; i += 4096) image[i] = (i >> 12) & 0xff;
  const core = (await runBuffer('zstd', ['-q', '-3', '-c'], { input: image })).stdout;

  const firstSec = Math.floor(Date.now() / 1000) - 86_400 - n;
  const entries: FixtureEntry[] = [];
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const comm = COMMS[i % COMMS.length];
    const pid = 1000 + i;
    const uid = i % 4 === 0 ? 0 : i % 4 === 1 ? 65534 : 1000;
    const ts = `${firstSec + i}000000`;
    const name = `core.${comm}.${uid}.${BOOT_ID}.${pid}.${ts}.zst`;
    const podUID = randomUUID();
    const cid = hex(32);
    const ns = opts.namespace ?? `team-${i % 7}`;
    const pod = `${comm}-${hex(4)}-${hex(3)}`;
    const kind = opts.namespace ? 1 : i % 3;
    const cgroup =
      kind === 0
        ? `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${podUID.replace(/-/g, '_')}.slice/cri-containerd-${cid}.scope`
        : kind === 1
          ? `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${podUID.replace(/-/g, '_')}.slice/crio-${cid}.scope`
          : `/system.slice/${comm}.service`;
    const exe = `/usr/bin/${comm}`;
    entries.push(
      coredumpEntry({
        filename: name,
        pid,
        uid,
        gid: uid,
        signal: [11, 6, 7, 4][i % 4],
        comm,
        exe,
        hostname: kind === 2 ? 'bench-node' : pod,
        timestampUsec: ts,
        cgroup,
        containerCmdline:
          kind === 1
            ? `/usr/bin/conmon -b /run/containers/storage/overlay-containers/${cid}/userdata -c ${cid} --exit-dir /var/run/crio/exits -l /var/log/pods/${ns}_${pod}_${podUID}/app/0.log --log-level info -n k8s_app_${pod}_${ns}_${podUID}_0 -P /run/containers/storage/overlay-containers/${cid}/userdata/conmon-pidfile -p /run/containers/storage/overlay-containers/${cid}/userdata/pidfile -r /usr/bin/runc --runtime-arg --root=/run/runc -u ${cid} -s`
            : undefined,
        extra: {
          _HOSTNAME: 'bench-node',
          COREDUMP_CMDLINE: `${exe} --config /etc/${comm}/config.yaml --listen :8080 --worker-id ${i}`,
          COREDUMP_PROC_MAPS: procMaps(exe),
          COREDUMP_ENVIRON: environ(pod, ns),
          COREDUMP_PROC_MOUNTINFO: mountinfo(cid),
          COREDUMP_OPEN_FDS: openFds(),
          COREDUMP_PROC_CGROUP: `0::${cgroup}\n`,
        },
      }),
    );
    names.push(name);
  }
  await writeJournalFile(join(journalDir, 'cores.journal'), entries);
  await pool(names.length, 64, (i) => writeFile(join(coreDir, names[i]), core));
  const journalBytes = (await stat(join(journalDir, 'cores.journal'))).size;
  return { n, coreDir, journalDir, journalBytes, genMs: performance.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// Row 1 + 2: list latency and startup

interface LatencyResult {
  seq: number[];
  conc: number[];
  bytes: number;
}

async function measureList(base: string, n: number): Promise<LatencyResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const url = `${base}/apiv1/cores`;
    const list = await getJson<unknown[]>(url, agent);
    if (!Array.isArray(list) || list.length !== n) {
      throw new Error(
        `GET /apiv1/cores returned ${Array.isArray(list) ? list.length : typeof list} cores, expected ${n}`,
      );
    }
    const check = (r: Timed) => {
      if (r.status !== 200) throw new Error(`GET /apiv1/cores: status ${r.status}`);
      return r;
    };
    let bytes = 0;
    for (let i = 0; i < 5; i++) bytes = check(await httpGet(url, agent)).bytes; // warm-up
    const seq: number[] = [];
    for (let i = 0; i < SEQ_REQUESTS; i++) {
      checkAborted();
      seq.push(check(await httpGet(url, agent)).ms);
    }
    const conc: number[] = [];
    let issued = 0;
    const worker = async () => {
      while (issued < CONC_REQUESTS) {
        checkAborted();
        issued++;
        conc.push(check(await httpGet(url, agent)).ms);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { seq, conc, bytes };
  } finally {
    agent.destroy();
  }
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

async function rowsListAndStartup(work: string, wanted: Set<string>): Promise<void> {
  const metric1 = (n: number, mode: string) =>
    `list latency GET /apiv1/cores, ${n.toLocaleString('en-US')} cores, ${mode}`;
  const startups10k: Started[] = [];
  for (const n of LIST_SIZES) {
    checkAborted();
    if (!wanted.has('1') && !(wanted.has('2') && n === 10_000)) continue;
    const t1 = n === 10_000 ? 'p50 ≤ 100 ms' : '—';
    const t2 = n === 10_000 ? 'p50 ≤ 10× single p50' : '—';
    let ds: ListDataset | undefined;
    try {
      log(`row 1: generating ${n} cores + journal entries`);
      ds = await makeListDataset(work, n);
      note(
        `dataset ${n}: journal ${(ds.journalBytes / MiB).toFixed(1)} MiB (${((ds.journalBytes / n) | 0).toLocaleString('en-US')} B/entry), generated in ${ms(ds.genMs)} ms`,
      );
      const env = { KOREDUMP_COREDUMP_DIR: ds.coreDir, KOREDUMP_JOURNAL_DIR: ds.journalDir };
      const s = await startCollector(env);
      try {
        if (s.indexedCores !== undefined && s.indexedCores !== n) {
          throw new Error(`collector indexed ${s.indexedCores} cores, expected ${n}`);
        }
        note(
          `startup with ${n} cores: index ${s.indexMs ?? '?'} ms (log), spawn → /readyz ${ms(s.wallMs)} ms`,
        );
        if (n === 10_000) startups10k.push(s);
        if (wanted.has('1')) {
          const r = await measureList(s.c.url, n);
          const nodeSeq = { p50: median(r.seq), p99: percentile(r.seq, 99) };
          const nodeConc = { p50: median(r.conc), p99: percentile(r.conc, 99) };
          const nodeRps = CONC_REQUESTS / (r.conc.reduce((a, b) => a + b, 0) / CONCURRENCY / 1000);
          note(
            `list ${n} (node:http client): response ${(r.bytes / 1024).toFixed(0)} KiB; sequential p50 ${ms(nodeSeq.p50)} / p99 ${ms(nodeSeq.p99)} / max ${ms(Math.max(...r.seq))} ms; c=${CONCURRENCY} p50 ${ms(nodeConc.p50)} (${(nodeConc.p50 / nodeSeq.p50).toFixed(1)}×) / p99 ${ms(nodeConc.p99)} / max ${ms(Math.max(...r.conc))} ms, ${nodeRps.toFixed(0)} req/s`,
          );
          let tool = `node:http keep-alive, ${SEQ_REQUESTS} req`;
          let toolC = `node:http, ${CONC_REQUESTS} req`;
          let seq = nodeSeq;
          let conc = { ...nodeConc, rps: nodeRps };
          if (await haveWrk()) {
            const url = `${s.c.url}/apiv1/cores`;
            const dSeq = clamp(Math.ceil((SEQ_REQUESTS * nodeSeq.p50) / 1000), 2, 10);
            const ws = await wrk(url, 1, dSeq);
            checkAborted();
            const dConc = clamp(Math.ceil((CONC_REQUESTS * nodeSeq.p50) / 1000) + 1, 3, 15);
            const wc = await wrk(url, CONCURRENCY, dConc);
            tool = `wrk -c1 ${dSeq} s, ${ws.requests} req`;
            toolC = `wrk -c${CONCURRENCY} ${dConc} s, ${wc.requests} req`;
            seq = ws;
            conc = wc;
          }
          addRow(
            '1',
            metric1(n, `sequential (${tool})`),
            `p50 ${ms(seq.p50)} ms · p99 ${ms(seq.p99)} ms`,
            t1,
            n === 10_000 ? (seq.p50 <= 100 ? 'PASS' : 'FAIL') : 'info',
          );
          addRow(
            '1',
            metric1(n, `concurrency ${CONCURRENCY} (${toolC})`),
            `p50 ${ms(conc.p50)} ms (${(conc.p50 / seq.p50).toFixed(1)}× single) · p99 ${ms(conc.p99)} ms · ${conc.rps.toFixed(0)} req/s`,
            t2,
            n === 10_000 ? (conc.p50 <= 10 * seq.p50 ? 'PASS' : 'FAIL') : 'info',
          );
        }
      } finally {
        await s.stop();
      }
      if (n === 10_000 && wanted.has('2')) {
        for (let i = 1; i < STARTUPS_10K; i++) {
          checkAborted();
          const again = await startCollector(env);
          await again.stop();
          startups10k.push(again);
          note(
            `startup with ${n} cores (#${i + 1}): index ${again.indexMs ?? '?'} ms, spawn → /readyz ${ms(again.wallMs)} ms`,
          );
        }
      }
    } catch (err) {
      if (wanted.has('1')) {
        errorRow('1', metric1(n, 'sequential / c=10'), `${t1}; ${t2}`, err);
      }
      if (n === 10_000 && wanted.has('2') && !startups10k.length) {
        errorRow('2', 'index build at startup, 10,000 cores', '< 2 s', err);
        return;
      }
    } finally {
      if (ds && !KEEP) await removeTree(join(work, `list-${n}`));
    }
  }
  if (wanted.has('2') && startups10k.length) {
    const idx = startups10k.map((s) => s.indexMs).filter((v): v is number => v !== undefined);
    const wall = startups10k.map((s) => s.wallMs);
    if (idx.length) {
      const m = median(idx);
      addRow(
        '2',
        'index build at startup, 10,000 cores (collector log "indexed … in X ms")',
        `${ms(m)} ms median of ${idx.length} (${idx.map(ms).join(', ')})`,
        '< 2 s',
        m < 2000 ? 'PASS' : 'FAIL',
      );
    } else {
      addRow(
        '2',
        'index build at startup, 10,000 cores (log)',
        'error: no "indexed … in X ms" line in the collector output',
        '< 2 s',
        'error',
      );
    }
    const w = median(wall);
    addRow(
      '2',
      'spawn → /readyz 200, 10,000 cores (wall, 100 ms poll)',
      `${ms(w)} ms median of ${wall.length} (${wall.map(ms).join(', ')})`,
      '< 2 s',
      w < 2000 ? 'PASS' : 'FAIL',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Row 3: crash → visible

interface ListedCore {
  id: string;
  COREDUMP_CMDLINE?: string;
}

async function rowCrashToVisible(work: string): Promise<void> {
  const metric = `crash → visible in GET /apiv1/cores (real systemd-coredump, 10 ms poll, ${CRASHES} crashes)`;
  let host: CoredumpHost | undefined;
  let stopHost: (() => Promise<void>) | undefined;
  let s: Started | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const created: string[] = [];
  let removeCores: (() => Promise<void>) | undefined;
  try {
    host = await startCoredumpHost();
    stopHost = track('coredump host', () => host!.stop());
    removeCores = track('crash cores', async () => {
      for (const f of created) await rm(f, { force: true });
    });
    const crasher = await buildCrasher(join(work, 'crasher'));
    s = await startCollector({}); // the host's /var/lib/systemd/coredump and journal
    const url = `${s.c.url}/apiv1/cores?comm=crasher`;
    const visible: number[] = [];
    const complete: number[] = [];
    const helper: number[] = [];
    for (let i = 0; i <= CRASHES; i++) {
      checkAborted();
      const baseline = new Set((await getJson<ListedCore[]>(url, agent)).map((c) => c.id));
      const firstSeen = new Map<string, number>();
      const fullSeen = new Map<string, number>();
      const state: { target?: string; targetAt: number; stop: boolean } = {
        targetAt: Infinity,
        stop: false,
      };
      const t0 = performance.now();
      // Polls until the crashed core has its journal fields, 10 s after crash() named it, or 30 s.
      const poller = (async () => {
        while (!state.stop && performance.now() - t0 < 30_000) {
          const list = await getJson<ListedCore[]>(url, agent);
          const t = performance.now() - t0;
          for (const c of list) {
            if (baseline.has(c.id)) continue;
            if (!firstSeen.has(c.id)) firstSeen.set(c.id, t);
            if (c.COREDUMP_CMDLINE !== undefined && !fullSeen.has(c.id)) fullSeen.set(c.id, t);
          }
          if (state.target && fullSeen.has(state.target)) return;
          if (performance.now() - state.targetAt > 10_000) return;
          await sleep(10);
        }
      })();
      let result: CrashResult | undefined;
      try {
        result = await crash(crasher, { timeoutMs: 20_000 });
        helper.push(performance.now() - t0);
        created.push(result.coreFile);
        state.target = basename(result.coreFile);
        state.targetAt = performance.now();
      } finally {
        if (!result) state.stop = true;
        await poller;
      }
      const target = state.target;
      const v = firstSeen.get(target);
      const f = fullSeen.get(target);
      if (v === undefined) throw new Error(`core ${target} never appeared in GET /apiv1/cores`);
      if (i === 0) {
        note(
          `crash warm-up (not counted): visible after ${ms(v)} ms, journal fields after ${f === undefined ? 'never' : `${ms(f)} ms`}`,
        );
        continue;
      }
      visible.push(v);
      if (f !== undefined) complete.push(f);
      note(
        `crash ${i}: pid ${result.pid} visible ${ms(v)} ms, with journal fields ${f === undefined ? 'never (10 s)' : `${ms(f)} ms`}; crash() helper returned after ${ms(helper.at(-1)!)} ms`,
      );
    }
    const vmax = Math.max(...visible);
    addRow(
      '3',
      metric,
      `median ${ms(median(visible))} ms · max ${ms(vmax)} ms`,
      '≤ 1 s',
      vmax <= 1000 ? 'PASS' : 'FAIL',
    );
    if (complete.length === visible.length) {
      const cmax = Math.max(...complete);
      addRow(
        '3',
        'crash → record with journal fields (COREDUMP_CMDLINE) in the list',
        `median ${ms(median(complete))} ms · max ${ms(cmax)} ms`,
        '≤ 1 s',
        cmax <= 1000 ? 'PASS' : 'FAIL',
      );
    } else {
      addRow(
        '3',
        'crash → record with journal fields in the list',
        `${complete.length} of ${visible.length} within 10 s`,
        '≤ 1 s',
        'FAIL',
      );
    }
  } catch (err) {
    errorRow('3', metric, '≤ 1 s', err);
  } finally {
    agent.destroy();
    await s?.stop();
    await removeCores?.();
    // Also cores made after an interrupt ran removeCores (a crash in flight).
    for (const f of created) await rm(f, { force: true }).catch(() => undefined);
    await stopHost?.();
  }
}

// ---------------------------------------------------------------------------------------------
// Rows 4–6: downloads

/** Seconds for `zstd -dc file > /dev/null` (or `| cat > /dev/null` when piped). */
async function timeZstd(file: string, piped = false): Promise<number> {
  const t0 = performance.now();
  if (piped) {
    await run('/bin/sh', ['-c', 'zstd -q -d -c -- "$0" | cat > /dev/null', file], {
      timeoutMs: 300_000,
    });
  } else {
    await run('zstd', ['-q', '-d', '-c', '--', file], {
      stdoutFile: '/dev/null',
      timeoutMs: 300_000,
    });
  }
  return (performance.now() - t0) / 1000;
}

/** Runs fn and reports the process's CPU use during it, as "% user + % sys" of one core. */
async function withCpu<T>(
  sampler: ProcSampler,
  fn: () => Promise<T>,
): Promise<{ value: T; cpu: string }> {
  const c0 = sampler.cpu();
  const t0 = performance.now();
  const value = await fn();
  const secs = (performance.now() - t0) / 1000;
  const c1 = sampler.cpu();
  const pct = (v: number) => ((100 * v) / secs).toFixed(0);
  return { value, cpu: `${pct(c1.user - c0.user)} % usr + ${pct(c1.sys - c0.sys)} % sys` };
}

/** Writes `size` bytes by repeating `pool` (random), in 64 MiB writes. */
async function writeRepeated(path: string, size: number, pool: Buffer): Promise<void> {
  const fh = await open(path, 'w', 0o640);
  try {
    for (let off = 0; off < size;) {
      const n = Math.min(pool.length, size - off);
      const { bytesWritten } = await fh.write(pool, 0, n, off);
      off += bytesWritten;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Streams `size` bytes with a core-like mix into `zstd -q -3`: per MiB, 512 KiB random (memory
 * that does not compress), 256 KiB zeros, 256 KiB page-marked filler. Returns the .zst size.
 */
async function writeMixedZst(path: string, size: number, pool: Buffer): Promise<number> {
  const fd = openSync(path, 'w', 0o640);
  const child = spawn('zstd', ['-q', '-3', '-c'], { stdio: ['pipe', fd, 'pipe'] });
  closeSync(fd);
  const stdin = child.stdin!;
  const stop = track(`zstd pid ${child.pid}`, () => killChild(child, 100));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  try {
    const half = 512 * 1024;
    for (let off = 0, k = 0; off < size; off += MiB, k++) {
      const b = Buffer.alloc(MiB);
      const src = (k * half) % (pool.length - half);
      pool.copy(b, 0, src, src + half);
      b.fill(0xab, MiB - 256 * 1024);
      for (let p = MiB - 256 * 1024; p < MiB; p += 4096) b.writeUInt32LE(k * 256 + (p >> 12), p);
      if (!stdin.write(b)) {
        await Promise.race([once(stdin, 'drain'), exited]);
      }
      if (child.exitCode !== null) break;
    }
    stdin.end();
    const code = await Promise.race([exited, after(120_000, 'timeout' as const)]);
    if (code !== 0) throw new Error(`zstd failed (${code}): ${stderr}`);
  } finally {
    await stop();
  }
  return (await stat(path)).size;
}

// ---------------------------------------------------------------------------------------------
// Row 10: the cost of metrics on the list

const METRICS_COST_REQUESTS = 500;
const METRICS_COST_RUNS = 3;

/**
 * A collector's CPU ms per GET of `path` (at `base`, process `pid`), over `count` keep-alive
 * requests after a warm-up. CPU time rather than latency: it hardly depends on what else the
 * machine runs.
 */
async function cpuPerRequest(
  base: string,
  pid: number,
  path: string,
  count: number,
): Promise<number> {
  const sampler = new ProcSampler(pid);
  const cpuMs = (): number => {
    const { user, sys } = sampler.cpu();
    return (user + sys) * 1000;
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const url = `${base}${path}`;
    for (let i = 0; i < 20; i++) await httpGet(url, agent);
    const before = cpuMs();
    for (let i = 0; i < count; i++) {
      const r = await httpGet(url, agent);
      if (r.status !== 200) throw new Error(`GET ${path}: status ${r.status}`);
    }
    return (cpuMs() - before) / count;
  } finally {
    agent.destroy();
  }
}

async function rowMetricsCost(work: string): Promise<void> {
  const metric =
    'metrics cost: collector CPU per GET /apiv1/cores, 10,000 cores, metrics on vs off';
  const target = '< 5 %';
  try {
    log('row 10: generating 10,000 cores + journal entries');
    const ds = await makeListDataset(work, 10_000, { dirName: 'metrics-10000' });
    const env = { KOREDUMP_COREDUMP_DIR: ds.coreDir, KOREDUMP_JOURNAL_DIR: ds.journalDir };
    const on: number[] = [];
    const off: number[] = [];
    const scrape: number[] = [];
    for (let run = 0; run < METRICS_COST_RUNS; run++) {
      for (const metrics of ['1', '0'] as const) {
        checkAborted();
        const s = await startCollector({ ...env, KOREDUMP_METRICS: metrics });
        try {
          (metrics === '1' ? on : off).push(
            await cpuPerRequest(s.c.url, s.c.child.pid!, '/apiv1/cores', METRICS_COST_REQUESTS),
          );
          if (metrics === '1') {
            scrape.push(await cpuPerRequest(s.c.url, s.c.child.pid!, '/metrics', 100));
          }
        } finally {
          await s.stop();
        }
      }
    }
    const [a, b] = [median(on), median(off)];
    const cost = (a - b) / b;
    note(
      `row 10: CPU ms per list request, metrics on ${on.map((x) => x.toFixed(2)).join(' / ')}, off ${off.map((x) => x.toFixed(2)).join(' / ')}; per /metrics scrape ${scrape.map((x) => x.toFixed(1)).join(' / ')} ms`,
    );
    addRow(
      '10',
      metric,
      `on ${a.toFixed(2)} ms · off ${b.toFixed(2)} ms (${cost >= 0 ? '+' : ''}${(cost * 100).toFixed(1)} %, medians of ${METRICS_COST_RUNS}×${METRICS_COST_REQUESTS}); a scrape ${median(scrape).toFixed(1)} ms CPU`,
      target,
      cost < 0.05 ? 'PASS' : 'FAIL',
    );
  } catch (err) {
    errorRow('10', metric, target, err);
  }
}

async function rowsDownload(work: string, wanted: Set<string>): Promise<void> {
  const m4 = 'download 1 GiB uncompressed core, curl, collector vs nginx (sendfile), best of 3';
  const m5 =
    'decompress=true of a 1 GiB (decompressed) zstd -3 core, collector vs `zstd -dc > /dev/null`, best of 3';
  const m6 = 'peak RSS of the collector during the downloads of rows 4–5 (20 ms samples)';
  const dir = join(work, 'dl');
  const coreDir = join(dir, 'coredump');
  const journalDir = join(dir, 'journal');
  let s: Started | undefined;
  let nginx: Nginx | undefined;
  let sampler: ProcSampler | undefined;
  let baseRss: { rss: number; hwm: number } | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let rawSpeed: number | undefined;
  let nginxSpeed: number | undefined;
  const do4 = wanted.has('4') || wanted.has('6');
  const do5 = wanted.has('5') || wanted.has('6');
  try {
    await mkdir(coreDir, { recursive: true });
    await mkdir(join(dir, 'nginx'), { recursive: true });
    const sec = Math.floor(Date.now() / 1000) - 3600;
    const rawName = `core.bigcore.0.${BOOT_ID}.4242.${sec}000000`;
    const zstName = `core.bigzst.0.${BOOT_ID}.4243.${sec + 1}000000.zst`;
    log('rows 4–6: writing a 1 GiB core and a 1 GiB (decompressed) zstd core');
    const pool = randomBytes(64 * MiB);
    const t0 = performance.now();
    if (do4) await writeRepeated(join(coreDir, rawName), GiB, pool);
    const zstBytes = do5 ? await writeMixedZst(join(coreDir, zstName), GiB, pool) : 0;
    note(
      `download fixtures written in ${ms(performance.now() - t0)} ms${do5 ? `; zstd core ${(zstBytes / MiB).toFixed(0)} MiB for 1024 MiB (ratio ${(GiB / zstBytes).toFixed(2)})` : ''}`,
    );
    await writeJournalFile(join(journalDir, 'big.journal'), [
      coredumpEntry({
        filename: rawName,
        pid: 4242,
        comm: 'bigcore',
        timestampUsec: `${sec}000000`,
      }),
      coredumpEntry({
        filename: zstName,
        pid: 4243,
        comm: 'bigzst',
        timestampUsec: `${sec + 1}000000`,
      }),
    ]);
    s = await startCollector({ KOREDUMP_COREDUMP_DIR: coreDir, KOREDUMP_JOURNAL_DIR: journalDir });
    sampler = new ProcSampler(s.c.child.pid!);
    baseRss = sampler.read();
    sampler.start();
  } catch (err) {
    for (const [n, m, t] of [
      ['4', m4, '≥ 80 % of nginx'],
      ['5', m5, '≥ 70 % of zstd -dc'],
      ['6', m6, '< 150 MiB'],
    ]) {
      if (wanted.has(n)) errorRow(n, m, t, err);
    }
    await s?.stop();
    agent.destroy();
    return;
  }

  try {
    if (do4) {
      try {
        nginx = await startNginx(join(dir, 'nginx'), (port) => [
          `access_log ${join(dir, 'nginx', 'access.log')};`,
          'sendfile on;',
          'tcp_nopush on;',
          'default_type application/octet-stream;',
          'server {',
          `  listen 127.0.0.1:${port};`,
          `  root ${coreDir};`,
          '  location / { }',
          '}',
        ]);
        const name = (await getJson<ListedCore[]>(`${s.c.url}/apiv1/cores?comm=bigcore`, agent))[0]
          ?.id;
        if (!name) throw new Error('the collector does not list the 1 GiB core');
        const cUrl = `${s.c.url}/apiv1/cores/download/${encodeURIComponent(name)}`;
        const nUrl = `${nginx.url}/${encodeURIComponent(name)}`;
        // Warm-up: page cache and JIT.
        await curl(nUrl);
        sampler.phase = 'row 4';
        await curl(cUrl);
        const c: CurlResult[] = [];
        const n: CurlResult[] = [];
        const cpu: string[] = [];
        for (let i = 0; i < DOWNLOAD_RUNS; i++) {
          checkAborted();
          n.push(await curl(nUrl));
          const r = await withCpu(sampler, () => curl(cUrl));
          c.push(r.value);
          cpu.push(r.cpu);
        }
        sampler.phase = 'idle';
        for (const r of [...c, ...n]) {
          if (r.bytes !== GiB) throw new Error(`downloaded ${r.bytes} bytes, expected ${GiB}`);
        }
        const cs = c.map((r) => r.speed);
        const ns = n.map((r) => r.speed);
        const best = Math.max(...cs) / Math.max(...ns);
        rawSpeed = Math.max(...cs);
        nginxSpeed = Math.max(...ns);
        note(
          `download collector runs: ${cs.map(mibs).join(', ')} (collector CPU ${cpu.join('; ')}); nginx runs: ${ns.map(mibs).join(', ')}`,
        );
        if (wanted.has('4')) {
          addRow(
            '4',
            m4,
            `collector ${mibs(Math.max(...cs))} vs nginx ${mibs(Math.max(...ns))} = **${pctOf(Math.max(...cs), Math.max(...ns))}** (medians ${mibs(median(cs))} vs ${mibs(median(ns))} = ${pctOf(median(cs), median(ns))})`,
            '≥ 80 % of nginx',
            best >= 0.8 ? 'PASS' : 'FAIL',
          );
        }
      } catch (err) {
        if (wanted.has('4')) errorRow('4', m4, '≥ 80 % of nginx', err);
      } finally {
        await nginx?.stop();
      }
    }
    if (do5) {
      try {
        const name = (await getJson<ListedCore[]>(`${s.c.url}/apiv1/cores?comm=bigzst`, agent))[0]
          ?.id;
        if (!name) throw new Error('the collector does not list the zstd core');
        const file = join(coreDir, name);
        const url = `${s.c.url}/apiv1/cores/download/${encodeURIComponent(name)}?decompress=true`;
        await timeZstd(file); // warm-up (page cache)
        const c: number[] = [];
        const z: number[] = [];
        const cpu: string[] = [];
        sampler.phase = 'row 5';
        for (let i = 0; i < DOWNLOAD_RUNS; i++) {
          checkAborted();
          z.push(GiB / (await timeZstd(file)));
          const { value: r, cpu: used } = await withCpu(sampler, () => curl(url));
          if (r.bytes !== GiB) {
            throw new Error(`decompress=true gave ${r.bytes} bytes, expected ${GiB}`);
          }
          c.push(r.bytes / r.seconds);
          cpu.push(used);
        }
        sampler.phase = 'idle';
        // Context: the same decompression with one pipe copy, the way any streaming server must.
        const piped = GiB / (await timeZstd(file, true));
        note(
          `decompress collector runs: ${c.map(mibs).join(', ')} (collector CPU ${cpu.join('; ')}); zstd -dc > /dev/null runs: ${z.map(mibs).join(', ')}; zstd -dc | cat > /dev/null: ${mibs(piped)}` +
            (rawSpeed && nginxSpeed
              ? `; for scale: collector raw download ${mibs(rawSpeed)}, nginx ${mibs(nginxSpeed)}`
              : ''),
        );
        if (wanted.has('5')) {
          const best = Math.max(...c) / Math.max(...z);
          addRow(
            '5',
            m5,
            `collector ${mibs(Math.max(...c))} vs zstd ${mibs(Math.max(...z))} = **${pctOf(Math.max(...c), Math.max(...z))}** (medians ${mibs(median(c))} vs ${mibs(median(z))} = ${pctOf(median(c), median(z))}; decompressed bytes/s)`,
            '≥ 70 % of zstd -dc',
            best >= 0.7 ? 'PASS' : 'FAIL',
          );
        }
      } catch (err) {
        if (wanted.has('5')) errorRow('5', m5, '≥ 70 % of zstd -dc', err);
      }
    }
    if (wanted.has('6')) {
      try {
        sampler.stop();
        const end = sampler.read();
        const peak = Math.max(sampler.maxOverall, end.hwm) / 1024;
        const per = [...sampler.maxRssKiB]
          .filter(([k]) => k !== 'idle')
          .map(([k, v]) => `${k}: ${(v / 1024).toFixed(0)}`)
          .join(', ');
        addRow(
          '6',
          m6,
          `max VmRSS ${(sampler.maxOverall / 1024).toFixed(0)} MiB (${per}; ${sampler.samples} samples) · VmHWM ${(end.hwm / 1024).toFixed(0)} MiB · idle before ${(baseRss.rss / 1024).toFixed(0)} MiB`,
          '< 150 MiB',
          peak < 150 ? 'PASS' : 'FAIL',
        );
      } catch (err) {
        errorRow('6', m6, '< 150 MiB', err);
      }
    }
  } finally {
    agent.destroy();
    sampler.stop();
    await s.stop();
    if (!KEEP) await removeTree(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Rows 7–8: the cost of Kubernetes auth (TokenReview + SubjectAccessReview, both cached)

const AUTH_CORES = 1_000;
const AUTH_NAMESPACE = 'team-a';
const AUTH_USER = 'bench-user';
const AUTH_CONNECTIONS = 50;
const AUTH_SECONDS = 5;
const AUTH_ROUNDS = 5;
const AUTH_COLD_ROUNDS = 2;
const AUTH_LIST_SECONDS = 3;
const AUTH_LIST_ROUNDS = 2;
/** Metadata ids requested in turn: fewer than the collector's full-record cache (64 records), so
 * the runs measure the route and its auth, not a journalctl per request (the cold row does). */
const AUTH_HOT_IDS = 50;
/** KOREDUMP_AUTH_CACHE_TTL_S, the collector's default, set explicitly: the call-count target
 * is "one TokenReview per token per TTL". */
const AUTH_TTL_S = 60;
const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

interface AuthListedCore {
  id: string;
  namespace?: string;
  attribution?: { source?: string };
}

/** TokenReview and SubjectAccessReview POSTs among the fake apiserver's recorded requests. */
function reviewCalls(reqs: readonly RecordedRequest[]): {
  tokenReviews: number;
  accessReviews: number;
  questions: string;
} {
  const posts = (path: string) => reqs.filter((r) => r.method === 'POST' && r.path === path);
  const sar = posts(ACCESS_REVIEWS);
  const asked = new Map<string, number>();
  for (const r of sar) {
    const spec = (r.body as { spec?: { resourceAttributes?: Record<string, string> } } | undefined)
      ?.spec?.resourceAttributes;
    const q = spec
      ? `${spec.verb} ${spec.resource}${spec.subresource ? `/${spec.subresource}` : ''} in ${spec.namespace ?? '(cluster)'}`
      : '?';
    asked.set(q, (asked.get(q) ?? 0) + 1);
  }
  return {
    tokenReviews: posts(TOKEN_REVIEWS).length,
    accessReviews: sar.length,
    questions: [...asked].map(([q, n]) => `${q} ×${n}`).join(', ') || 'none',
  };
}

/** A wrk script that requests `paths` in turn (each thread from the first). */
async function cyclingScript(file: string, paths: readonly string[]): Promise<string> {
  await writeFile(
    file,
    [
      'local paths = {',
      ...paths.map((p) => `  ${JSON.stringify(p)},`),
      '}',
      'local i = 0',
      'request = function()',
      '  i = i % #paths + 1',
      '  return wrk.format(nil, paths[i])',
      'end',
      '',
    ].join('\n'),
  );
  return file;
}

async function rowsAuth(work: string, wanted: Set<string>): Promise<void> {
  const m7 = `GET /apiv1/cores/metadata/:id req/s, ${AUTH_CORES.toLocaleString('en-US')} cores (${AUTH_HOT_IDS} ids in turn), wrk -t2 -c${AUTH_CONNECTIONS}, ${AUTH_ROUNDS}× ${AUTH_SECONDS} s alternating: valid token, RBAC, TokenReview/SubjectAccessReview cache warm vs NO_TOKENS=1`;
  const m7cold = `same, all ${AUTH_CORES.toLocaleString('en-US')} ids in turn (full record not cached: a journalctl read per request), ${AUTH_COLD_ROUNDS}× ${AUTH_SECONDS} s alternating`;
  const m7calls = `TokenReview / SubjectAccessReview calls the fake apiserver saw from the warm-up request to the end of row 7 (KOREDUMP_AUTH_CACHE_TTL_S=${AUTH_TTL_S}, 1 token)`;
  const m8 = `list latency GET /apiv1/cores, ${AUTH_CORES.toLocaleString('en-US')} cores, wrk -c1, ${AUTH_LIST_ROUNDS}× ${AUTH_LIST_SECONDS} s alternating: RBAC (warm) vs NO_TOKENS=1`;
  const t7 = 'auth costs < 10 % of req/s';
  const t7calls = '≤ 1 TokenReview per token per TTL (not one per request)';
  const dir = join(work, 'auth');
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let api: FakeApiServer | undefined;
  let closeApi: (() => Promise<void>) | undefined;
  let rbac: Started | undefined;
  let noAuth: Started | undefined;
  /** An error row for each wanted row not measured yet. */
  const fail = (err: unknown) => {
    for (const [n, m, t] of [
      ['7', m7, t7],
      ['7', m7cold, '—'],
      ['7', m7calls, t7calls],
      ['8', m8, '—'],
    ]) {
      if (wanted.has(n) && !report.rows.some((r) => r.metric === m)) errorRow(n, m, t, err);
    }
  };
  try {
    // Setup: fake apiserver, a user granted coredumps (+ sensitive) in one namespace, the cores,
    // and two collectors on the same cores that differ only in NO_TOKENS.
    await mkdir(dir, { recursive: true });
    api = await startFakeApiServer();
    const server = api;
    closeApi = track('fake apiserver', () => server.close());
    const token = `bench-${randomBytes(24).toString('base64url')}`;
    api.addToken(token, { username: AUTH_USER, groups: ['system:authenticated'] });
    api.grant(AUTH_USER, {
      verbs: ['get', 'list'],
      apiGroups: ['koredump.io'],
      resources: ['coredumps', 'coredumps/sensitive'],
      namespaces: [AUTH_NAMESPACE],
    });
    api.setPods([]);
    const kubeconfig = join(dir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
    log(`rows 7–8: generating ${AUTH_CORES} cores in namespace ${AUTH_NAMESPACE}`);
    const ds = await makeListDataset(dir, AUTH_CORES, {
      namespace: AUTH_NAMESPACE,
      dirName: 'cores',
    });
    const env = {
      KOREDUMP_COREDUMP_DIR: ds.coreDir,
      KOREDUMP_JOURNAL_DIR: ds.journalDir,
      KOREDUMP_POD_LOGS_DIR: join(dir, 'no-pod-logs'),
      KOREDUMP_AUTH_CACHE_TTL_S: String(AUTH_TTL_S),
      FAKE_K8S: '0',
      KUBECONFIG: kubeconfig,
    };
    rbac = await startCollector({ ...env, NO_TOKENS: '0' });
    noAuth = await startCollector({ ...env, NO_TOKENS: '1' });
    for (const s of [rbac, noAuth]) {
      if (s.indexedCores !== undefined && s.indexedCores !== AUTH_CORES) {
        throw new Error(`collector indexed ${s.indexedCores} cores, expected ${AUTH_CORES}`);
      }
    }
    const auth = { Authorization: `Bearer ${token}` };
    const authHeader = `Authorization: Bearer ${token}`;

    // Dataset check (no token needed): every core attributed to the granted namespace.
    const listed = await getJson<AuthListedCore[]>(`${noAuth.c.url}/apiv1/cores`, agent);
    const elsewhere = listed.filter((c) => c.namespace !== AUTH_NAMESPACE);
    if (listed.length !== AUTH_CORES || elsewhere.length) {
      throw new Error(
        `NO_TOKENS collector lists ${listed.length} cores, ${elsewhere.length} not in ${AUTH_NAMESPACE} (e.g. ${JSON.stringify(elsewhere[0] ?? {})})`,
      );
    }
    const sources = [...new Set(listed.map((c) => c.attribution?.source))].join(', ');
    const ids = listed.map((c) => c.id);
    const path = (id: string) => `/apiv1/cores/metadata/${encodeURIComponent(id)}`;
    const hotScript = await cyclingScript(
      join(dir, 'hot.lua'),
      ids.slice(0, AUTH_HOT_IDS).map(path),
    );
    const coldScript = await cyclingScript(join(dir, 'cold.lua'), ids.map(path));

    // The one warm-up request: TokenReview + SubjectAccessReviews (get, get sensitive).
    if (reviewCalls(api.requests).tokenReviews) throw new Error('TokenReview before warm-up');
    const tWarm = performance.now();
    const warm = await httpGet(`${rbac.c.url}${path(ids[0])}`, agent, true, 30_000, auth);
    if (warm.status !== 200) {
      throw new Error(`warm-up GET metadata with the token: ${warm.status} ${warm.body}`);
    }
    const atWarmUp = reviewCalls(api.requests);
    const seen = api.requests.length;
    const plain = await getJson<Record<string, unknown>>(`${noAuth.c.url}${path(ids[0])}`, agent);
    const full = JSON.parse(warm.body) as Record<string, unknown>;
    if (full.COREDUMP_ENVIRON !== plain.COREDUMP_ENVIRON || !plain.COREDUMP_ENVIRON) {
      throw new Error('the token sees a redacted record: coredumps/sensitive not granted?');
    }
    note(
      `auth dataset: ${AUTH_CORES} cores, all in ${AUTH_NAMESPACE} (attribution: ${sources}); metadata record ${(warm.bytes / 1024).toFixed(1)} KiB with the token, ${(JSON.stringify(plain).length / 1024).toFixed(1)} KiB with NO_TOKENS; warm-up request ${ms(warm.ms)} ms (${atWarmUp.tokenReviews} TokenReview, ${atWarmUp.accessReviews} SubjectAccessReview: ${atWarmUp.questions})`,
    );

    if (wanted.has('7')) {
      type Mode = 'rbac' | 'open';
      const samplers = {
        rbac: new ProcSampler(rbac.c.child.pid!),
        open: new ProcSampler(noAuth.c.child.pid!),
      };
      let tokenRequests = 0;
      /** One wrk run, with the collector's CPU time (usr + sys) per request. */
      const measure = async (mode: Mode, script: string, seconds: number) => {
        checkAborted();
        const s = mode === 'rbac' ? rbac! : noAuth!;
        const c0 = samplers[mode].cpu();
        const t0 = performance.now();
        const r = await withCpu(samplers[mode], () =>
          wrk(`${s.c.url}/`, AUTH_CONNECTIONS, seconds, {
            threads: 2,
            script,
            headers: mode === 'rbac' ? [authHeader] : [],
          }),
        );
        const c1 = samplers[mode].cpu();
        const cpuS = c1.user + c1.sys - c0.user - c0.sys;
        const cpuUs = (1e6 * cpuS) / r.value.requests;
        /** Share of one core the collector got: below ~0.9 the machine, not it, set the pace. */
        const busy = cpuS / ((performance.now() - t0) / 1000);
        if (mode === 'rbac') tokenRequests += r.value.requests;
        return { ...r, cpuUs, busy };
      };
      // JIT warm-up of both collectors (not in the figures; its requests count as calls).
      await measure('rbac', hotScript, 2);
      await measure('open', hotScript, 2);
      /**
       * `rounds` alternating rounds (RBAC first in even rounds) of AUTH_SECONDS each. The auth
       * cost is the median over rounds of 1 − RBAC/NO_TOKENS req/s: each pair runs back to back,
       * so drift on a shared machine cancels out. The same from the collector's CPU time per
       * request: the single-threaded collector is CPU-bound here, so that is the throughput cost
       * without the noise of other processes taking the CPU.
       */
      const compare = async (script: string, rounds: number) => {
        const runs: Record<Mode, (WrkResult & { cpuUs: number; busy: number })[]> = {
          rbac: [],
          open: [],
        };
        const cpu: Record<Mode, string[]> = { rbac: [], open: [] };
        for (let i = 0; i < rounds; i++) {
          for (const mode of i % 2 ? (['open', 'rbac'] as const) : (['rbac', 'open'] as const)) {
            const r = await measure(mode, script, AUTH_SECONDS);
            runs[mode].push({ ...r.value, cpuUs: r.cpuUs, busy: r.busy });
            cpu[mode].push(r.cpu);
          }
        }
        const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
        const perRound = runs.rbac.map((r, i) => 1 - r.rps / runs.open[i].rps);
        const cpuPerRound = runs.rbac.map((r, i) => 1 - runs.open[i].cpuUs / r.cpuUs);
        const cost = median(perRound);
        const cpuCost = median(cpuPerRound);
        const detail = (m: Mode) =>
          `${runs[m].map((r) => `${r.rps.toFixed(0)} req/s (p50 ${ms(r.p50)} / p99 ${ms(r.p99)} ms, ${r.cpuUs.toFixed(0)} µs CPU/req)`).join(', ')}; collector CPU ${cpu[m].join('; ')}`;
        const rps = (m: Mode) => median(runs[m].map((r) => r.rps)).toFixed(0);
        const p50 = (m: Mode) => ms(median(runs[m].map((r) => r.p50)));
        const us = (m: Mode) => median(runs[m].map((r) => r.cpuUs)).toFixed(0);
        const starved = [...runs.rbac, ...runs.open].filter((r) => r.busy < 0.9).length;
        return {
          cost,
          cpuCost,
          detail,
          summary: `RBAC ${rps('rbac')} vs NO_TOKENS ${rps('open')} req/s (medians) = auth cost **${pct(cost)}** (median of rounds ${perRound.map(pct).join(' / ')}) · collector CPU/request ${us('rbac')} vs ${us('open')} µs = **${pct(cpuCost)}** (rounds ${cpuPerRound.map(pct).join(' / ')}) · p50 ${p50('rbac')} vs ${p50('open')} ms`,
          warning: starved
            ? ` · ⚠ in ${starved} of ${2 * rounds} runs the collector got < 90 % of a core (machine busy): noisy`
            : '',
        };
      };
      const hot = await compare(hotScript, AUTH_ROUNDS);
      note(`metadata (hot) RBAC runs: ${hot.detail('rbac')}`);
      note(`metadata (hot) NO_TOKENS runs: ${hot.detail('open')}`);
      addRow('7', m7, hot.summary + hot.warning, t7, hot.cost < 0.1 ? 'PASS' : 'FAIL');
      const cold = await compare(coldScript, AUTH_COLD_ROUNDS);
      note(`metadata (cold) RBAC runs: ${cold.detail('rbac')}`);
      note(`metadata (cold) NO_TOKENS runs: ${cold.detail('open')}`);
      addRow('7', m7cold, cold.summary);

      const spanS = (performance.now() - tWarm) / 1000;
      const during = reviewCalls(api.requests.slice(seen));
      const total = reviewCalls(api.requests);
      const ttls = Math.ceil(spanS / AUTH_TTL_S);
      // Per token and TTL: 1 TokenReview and 2 SubjectAccessReviews (get, get sensitive).
      const ok = total.tokenReviews <= ttls && total.accessReviews <= 2 * ttls;
      addRow(
        '7',
        m7calls,
        `TokenReview **${total.tokenReviews}** (${atWarmUp.tokenReviews} at warm-up + ${during.tokenReviews} during ${tokenRequests.toLocaleString('en-US')} requests with the token) · SubjectAccessReview **${total.accessReviews}** (${atWarmUp.accessReviews} + ${during.accessReviews}) · over ${spanS.toFixed(0)} s = ${ttls} TTL`,
        t7calls,
        ok ? 'PASS' : 'FAIL',
      );
      note(`SubjectAccessReviews asked in row 7: ${total.questions}`);
    }

    // Row 8: list latency, RBAC (one warm-up list asks `list` once) vs NO_TOKENS.
    if (wanted.has('8')) {
      const before = api.requests.length;
      const first = await httpGet(`${rbac.c.url}/apiv1/cores`, agent, true, 30_000, auth);
      const mine = (first.status === 200 ? JSON.parse(first.body) : []) as AuthListedCore[];
      if (mine.length !== AUTH_CORES) {
        throw new Error(
          `the token lists ${mine.length} cores (HTTP ${first.status}), expected ${AUTH_CORES}`,
        );
      }
      // JIT warm-up.
      await wrk(`${rbac.c.url}/apiv1/cores`, 1, 1, { headers: [authHeader] });
      await wrk(`${noAuth.c.url}/apiv1/cores`, 1, 1);
      const lists: Record<'rbac' | 'open', WrkResult[]> = { rbac: [], open: [] };
      for (let i = 0; i < AUTH_LIST_ROUNDS; i++) {
        for (const mode of i % 2 ? (['open', 'rbac'] as const) : (['rbac', 'open'] as const)) {
          checkAborted();
          const s = mode === 'rbac' ? rbac : noAuth;
          lists[mode].push(
            await wrk(`${s.c.url}/apiv1/cores`, 1, AUTH_LIST_SECONDS, {
              headers: mode === 'rbac' ? [authHeader] : [],
            }),
          );
        }
      }
      const lp50 = (m: 'rbac' | 'open') => median(lists[m].map((r) => r.p50));
      const lp99 = (m: 'rbac' | 'open') => median(lists[m].map((r) => r.p99));
      const listCalls = reviewCalls(api.requests.slice(before));
      addRow(
        '8',
        m8,
        `p50 RBAC ${ms(lp50('rbac'))} ms vs NO_TOKENS ${ms(lp50('open'))} ms (${(lp50('rbac') / lp50('open')).toFixed(1)}×) · p99 ${ms(lp99('rbac'))} vs ${ms(lp99('open'))} ms · ${median(lists.rbac.map((r) => r.rps)).toFixed(0)} vs ${median(lists.open.map((r) => r.rps)).toFixed(0)} req/s`,
      );
      note(
        `list (${(first.bytes / MiB).toFixed(2)} MiB) runs RBAC: ${lists.rbac.map((r) => `p50 ${ms(r.p50)} ms`).join(', ')}; NO_TOKENS: ${lists.open.map((r) => `p50 ${ms(r.p50)} ms`).join(', ')}; Kubernetes API calls during row 8 (${((performance.now() - tWarm) / 1000).toFixed(0)} s after the warm-up, TTL ${AUTH_TTL_S} s): ${listCalls.tokenReviews} TokenReview, ${listCalls.accessReviews} SubjectAccessReview (${listCalls.questions})`,
      );
    }
  } catch (err) {
    fail(err);
  } finally {
    agent.destroy();
    await rbac?.stop();
    await noAuth?.stop();
    await closeApi?.();
    if (!KEEP) await removeTree(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Row 9: what issue 7 (stack-trace parsing, signatures, metrics, change feed) costs the list

/** The last commit before issue 7's work; override with BENCH_BASELINE_REF. */
const BASELINE_REF = process.env.BENCH_BASELINE_REF ?? '885c309';
const COST_CORES = 10_000;
const COST_ROUNDS = 6;
const COST_SECONDS = 3;
const COST_CPU_REQUESTS = 200;

/** Builds BASELINE_REF in a detached worktree under `work` (node_modules hard-linked); its dist. */
async function buildBaseline(work: string): Promise<string> {
  const root = repoRoot();
  const dir = join(work, 'baseline');
  await run('git', ['-C', root, 'worktree', 'add', '--detach', dir, BASELINE_REF]);
  track(`baseline worktree ${dir}`, async () => {
    await run('git', ['-C', root, 'worktree', 'remove', '--force', dir], { allowFailure: true });
  });
  await run('cp', ['-al', join(root, 'node_modules'), join(dir, 'node_modules')]);
  await run('npm', ['run', '--silent', 'build'], { cwd: dir, timeoutMs: 600_000 });
  return join(dir, 'dist');
}

async function rowInsightCost(work: string): Promise<void> {
  const metric = (mode: string) =>
    `list latency, ${COST_CORES.toLocaleString('en-US')} cores with stack traces, this build vs ${BASELINE_REF} (before issue 7), ${mode}`;
  let ds: ListDataset | undefined;
  try {
    if (!(await haveWrk())) throw new Error('row 9 needs wrk');
    log(`row 9: building the baseline ${BASELINE_REF}`);
    const baselineDist = await buildBaseline(work);
    ds = await makeListDataset(work, COST_CORES, { dirName: 'cost-10k' });
    const env = collectorEnv({
      KOREDUMP_COREDUMP_DIR: ds.coreDir,
      KOREDUMP_JOURNAL_DIR: ds.journalDir,
    });
    const current = await startCollector(env);
    const base = await spawnBuiltCollector(env, baselineDist);
    const stopBase = track(`baseline collector pid ${base.child.pid}`, () => killChild(base.child));
    // A Prometheus-like scraper on the current build, every 10 s (usual intervals: 15–60 s; one
    // scrape of 10,000 cores costs ~25 ms of CPU, so once a second would be a cost of its own).
    const agent = new Agent({ keepAlive: true });
    let scrapes = 0;
    let scrapeStatus = 0;
    const scraper = setInterval(() => {
      httpGet(`${current.c.url}/metrics`, agent).then(
        (r) => {
          scrapes++;
          scrapeStatus = r.status;
        },
        () => undefined,
      );
    }, 10_000);
    try {
      const baseIndex = INDEX_LINE.exec(base.output())?.[3];
      note(
        `row 9: index build ${COST_CORES} cores: this build ${current.indexMs ?? '?'} ms, baseline ${baseIndex ?? '?'} ms`,
      );
      const results = {
        c1: { cur: [] as number[], base: [] as number[] },
        c10: { cur: [] as number[], base: [] as number[] },
        cpu: { cur: [] as number[], base: [] as number[] },
      };
      const pids = { cur: current.c.child.pid!, base: base.child.pid! };
      for (let round = 0; round < COST_ROUNDS; round++) {
        checkAborted();
        // Alternate who goes first: the machine's background load drifts.
        const order =
          round % 2
            ? [
                ['base', base.url],
                ['cur', current.c.url],
              ]
            : [
                ['cur', current.c.url],
                ['base', base.url],
              ];
        for (const [who, url] of order as [keyof typeof results.c1, string][]) {
          results.c1[who].push((await wrk(`${url}/apiv1/cores`, 1, COST_SECONDS)).p50);
          results.c10[who].push((await wrk(`${url}/apiv1/cores`, CONCURRENCY, COST_SECONDS)).p50);
          results.cpu[who].push(
            await cpuPerRequest(url, pids[who], '/apiv1/cores', COST_CPU_REQUESTS),
          );
        }
      }
      note(`row 9: /metrics scraped ${scrapes} times meanwhile (last status ${scrapeStatus})`);
      const sizes = await Promise.all(
        [current.c.url, base.url].map(async (url) => {
          const r = await httpGet(`${url}/apiv1/cores`, agent);
          return r.bytes;
        }),
      );
      note(
        `row 9: response ${(sizes[0] / MiB).toFixed(2)} MiB vs baseline ${(sizes[1] / MiB).toFixed(2)} MiB (${pctOf(sizes[0] - sizes[1], sizes[1])} more: the signature field)`,
      );
      for (const [mode, r, what] of [
        [
          'wrk -c1',
          results.c1,
          `median p50 of ${COST_ROUNDS} interleaved ${COST_SECONDS} s rounds`,
        ],
        [
          `wrk -c${CONCURRENCY}`,
          results.c10,
          `median p50 of ${COST_ROUNDS} interleaved ${COST_SECONDS} s rounds`,
        ],
        [
          'collector CPU per request',
          results.cpu,
          `median of ${COST_ROUNDS} interleaved rounds of ${COST_CPU_REQUESTS} requests`,
        ],
      ] as const) {
        const cur = median(r.cur);
        const was = median(r.base);
        const delta = (100 * (cur - was)) / was;
        note(
          `row 9 ${mode} per round: this ${r.cur.map(ms).join(', ')} ms; baseline ${r.base.map(ms).join(', ')} ms`,
        );
        addRow(
          '9',
          metric(`${mode}, ${what}`),
          `${ms(cur)} ms vs ${ms(was)} ms (${delta >= 0 ? '+' : ''}${delta.toFixed(1)} %)`,
          '< 5 % slower',
          delta < 5 ? 'PASS' : 'FAIL',
        );
      }
    } finally {
      clearInterval(scraper);
      agent.destroy();
      await current.stop();
      await stopBase();
    }
  } catch (err) {
    errorRow('9', metric('wrk'), '< 5 % slower', err);
  } finally {
    if (ds && !KEEP) await removeTree(join(work, 'cost-10k'));
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const wanted = wantedRows('1,2,3,4,5,6,7,8,9,10');
  await report.begin();
  ensureBuilt(['node-collector']);
  const { work, remove: removeWork } = await benchWorkDir('koredump-bench-');
  if (process.env.BENCH_CPU_PROF) await setUpCpuProf(work, process.env.BENCH_CPU_PROF);
  try {
    if (wanted.has('1') || wanted.has('2')) await rowsListAndStartup(work, wanted);
    if (wanted.has('3')) await rowCrashToVisible(work);
    if (wanted.has('4') || wanted.has('5') || wanted.has('6')) await rowsDownload(work, wanted);
    if (wanted.has('7') || wanted.has('8')) await rowsAuth(work, wanted);
    if (wanted.has('9')) await rowInsightCost(work);
    if (wanted.has('10')) await rowMetricsCost(work);
  } finally {
    await undoAll();
    await removeWork();
  }
  if (undo.shuttingDown) return; // abort() reports and exits
  await report.finish(started);
}

runMain(main, { deadlineMs: OVERALL_DEADLINE_MS });
