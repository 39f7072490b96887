/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   rendered chart YAML is untyped JSON; these tests walk it freely. */
/**
 * The Helm chart, checked without a cluster: `helm lint --strict`, `helm template` with the default
 * values and every charts/koredump/ci/*.yaml, every rendered object validated against the
 * Kubernetes schemas (kubernetes-models), the custom resources' shape, and the security
 * properties the chart promises (docs/chart-readme-section.md, "Security model").
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

import {
  CHART_DIR,
  ensureHelm,
  lintChart,
  renderChart,
  renderNotes,
  validateWithKubernetesModels,
  type K8sObject,
} from '../support/helm.js';
import { ensurePromtool, promtool } from '../support/promtool.js';

const CI_DIR = join(CHART_DIR, 'ci');
const CI_FILES = readdirSync(CI_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
/** Value sets: the defaults plus every ci/*.yaml. */
const SETS: Array<[string, string[]]> = [
  ['default', []],
  ...CI_FILES.map((f): [string, string[]] => [f.replace(/-values\.yaml$/, ''), [`ci/${f}`]]),
];

const COLLECTOR_SELECTOR = {
  'app.kubernetes.io/name': 'koredump',
  'app.kubernetes.io/instance': 'koredump',
  'app.kubernetes.io/component': 'node-collector',
};
const AGGREGATOR_SELECTOR = { ...COLLECTOR_SELECTOR, 'app.kubernetes.io/component': 'aggregator' };
const CLUSTER_SCOPED = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'SecurityContextConstraints',
  'Namespace',
  'PriorityClass',
  'CustomResourceDefinition',
]);
const KNOWN_CUSTOM_RESOURCES = [
  'monitoring.coreos.com/v1 PrometheusRule',
  'monitoring.coreos.com/v1 ServiceMonitor',
  'security.openshift.io/v1 SecurityContextConstraints',
];

const rendered = new Map<string, K8sObject[]>();

function objectsOf(set: string): K8sObject[] {
  const o = rendered.get(set);
  if (!o) throw new Error(`value set ${set} was not rendered`);
  return o;
}
function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const o = objects.find(
    (x) => x.kind === kind && (name === undefined || x.metadata.name === name),
  );
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ''} rendered`);
  return o;
}
function findAll(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((x) => x.kind === kind);
}

interface PodOwner {
  owner: string;
  spec: any;
  labels: Record<string, string>;
}
/** Every pod spec: workloads' templates and bare pods (the helm test hook). */
function podSpecs(objects: K8sObject[]): PodOwner[] {
  return objects.flatMap((o): PodOwner[] => {
    if (o.kind === 'Pod') {
      return [{ owner: `Pod/${o.metadata.name}`, spec: o.spec, labels: o.metadata.labels ?? {} }];
    }
    if (['DaemonSet', 'Deployment', 'StatefulSet', 'Job', 'ReplicaSet'].includes(o.kind)) {
      return [
        {
          owner: `${o.kind}/${o.metadata.name}`,
          spec: o.spec.template.spec,
          labels: o.spec.template.metadata.labels ?? {},
        },
      ];
    }
    return [];
  });
}
interface ContainerOf {
  where: string;
  init: boolean;
  c: any;
  pod: PodOwner;
}
function containers(objects: K8sObject[]): ContainerOf[] {
  return podSpecs(objects).flatMap((pod) => [
    ...(pod.spec.initContainers ?? []).map((c: any) => ({
      where: `${pod.owner} init ${c.name}`,
      init: true,
      c,
      pod,
    })),
    ...(pod.spec.containers ?? []).map((c: any) => ({
      where: `${pod.owner} ${c.name}`,
      init: false,
      c,
      pod,
    })),
  ]);
}
const daemonSet = (objects: K8sObject[]) => find(objects, 'DaemonSet');
const deployment = (objects: K8sObject[]) => find(objects, 'Deployment');
const collectorContainer = (objects: K8sObject[]) =>
  daemonSet(objects).spec.template.spec.containers.find((c: any) => c.name === 'node-collector');
const aggregatorContainer = (objects: K8sObject[]) =>
  deployment(objects).spec.template.spec.containers.find((c: any) => c.name === 'aggregator');
function env(container: any): Record<string, any> {
  return Object.fromEntries(
    (container.env ?? []).map((e: any) => [e.name, e.value ?? { valueFrom: e.valueFrom }]),
  );
}
/** Parses the equality-based label selector the chart writes (a=b,c=d). */
function parseSelector(selector: string): Record<string, string> {
  return Object.fromEntries(
    selector.split(',').map((req) => {
      const m = /^([^=!]+)=([^=]*)$/.exec(req);
      if (!m) throw new Error(`not an equality requirement: ${req}`);
      return [m[1], m[2]];
    }),
  );
}
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

// Minimal shape checks of the custom resources (their CRDs are not available offline).
function crdProblems(o: K8sObject): string[] {
  const p: string[] = [];
  const need = (cond: unknown, what: string) => {
    if (!cond) p.push(`${o.kind}/${o.metadata?.name}: ${what}`);
  };
  need(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.metadata?.name ?? ''),
    'metadata.name is a DNS subdomain',
  );
  if (o.kind === 'ServiceMonitor') {
    need(o.spec?.selector && typeof o.spec.selector === 'object', 'spec.selector is an object');
    need(
      Array.isArray(o.spec?.endpoints) && o.spec.endpoints.length > 0,
      'spec.endpoints is a non-empty list',
    );
    for (const e of o.spec?.endpoints ?? []) {
      need(typeof e.port === 'string' && e.port.length > 0, 'endpoint.port names a Service port');
      need(typeof e.path === 'string' && e.path.startsWith('/'), 'endpoint.path is absolute');
      for (const d of [e.interval, e.scrapeTimeout]) {
        need(
          d === undefined || /^(\d+(ms|s|m|h))+$/.test(d),
          `duration ${d} is a Prometheus duration`,
        );
      }
    }
    need(
      Array.isArray(o.spec?.namespaceSelector?.matchNames ?? []),
      'namespaceSelector.matchNames is a list',
    );
  } else if (o.kind === 'PrometheusRule') {
    need(
      Array.isArray(o.spec?.groups) && o.spec.groups.length > 0,
      'spec.groups is a non-empty list',
    );
    for (const g of o.spec?.groups ?? []) {
      need(typeof g.name === 'string' && g.name.length > 0, 'group.name');
      need(Array.isArray(g.rules) && g.rules.length > 0, 'group.rules is a non-empty list');
      for (const r of g.rules ?? []) {
        need(
          (typeof r.alert === 'string') !== (typeof r.record === 'string'),
          'rule has alert xor record',
        );
        need(typeof r.expr === 'string' && r.expr.length > 0, 'rule.expr');
        need(
          r.for === undefined || /^(\d+(ms|s|m|h|d|w|y))+$/.test(r.for),
          'rule.for is a duration',
        );
        for (const v of Object.values({ ...r.labels, ...r.annotations })) {
          need(typeof v === 'string', 'rule labels/annotations are strings');
        }
      }
    }
  } else if (o.kind === 'SecurityContextConstraints') {
    const bools = [
      'allowHostDirVolumePlugin',
      'allowHostIPC',
      'allowHostNetwork',
      'allowHostPID',
      'allowHostPorts',
      'allowPrivilegedContainer',
      'readOnlyRootFilesystem',
    ];
    for (const b of bools) {
      need(typeof o[b] === 'boolean', `${b} is a boolean (required by the CRD)`);
    }
    for (const s of ['runAsUser', 'seLinuxContext', 'fsGroup', 'supplementalGroups']) {
      need(typeof o[s]?.type === 'string', `${s}.type is set`);
    }
    for (const l of [
      'allowedCapabilities',
      'requiredDropCapabilities',
      'volumes',
      'users',
      'groups',
    ]) {
      need(Array.isArray(o[l]), `${l} is a list`);
    }
    need(o.spec === undefined, 'an SCC has no spec: its fields are top-level');
  } else {
    p.push(`${o.apiVersion} ${o.kind}: no shape check written`);
  }
  return p;
}

beforeAll(async () => {
  await ensureHelm();
  const out = await Promise.all(SETS.map(([, files]) => renderChart({ valuesFiles: files })));
  SETS.forEach(([name], i) => rendered.set(name, out[i]));
}, 240_000);

describe('chart: lint, render, Kubernetes schemas', () => {
  it('helm lint --strict passes with the default values and with every ci/*.yaml', async () => {
    const results = await Promise.all(SETS.map(([, files]) => lintChart({ valuesFiles: files })));
    results.forEach((r, i) => {
      expect({ set: SETS[i][0], code: r.code, out: r.stdout + r.stderr }).toMatchObject({
        code: 0,
      });
      expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    });
  }, 60_000);

  it('has the value sets the issue asks for', () => {
    expect(SETS.map(([n]) => n)).toEqual(
      expect.arrayContaining([
        'default',
        'openshift',
        'filter',
        'auth-authenticated',
        'networkpolicy',
        'servicemonitor',
      ]),
    );
  });

  it('every rendered object of every value set passes the Kubernetes schema (kubernetes-models)', async () => {
    const all = SETS.flatMap(([n]) => objectsOf(n));
    const { problems, validated, unknown } = await validateWithKubernetesModels(all);
    expect(problems).toEqual([]);
    expect(validated).toBeGreaterThanOrEqual(SETS.length * 10);
    expect([...new Set(unknown)].sort()).toEqual(KNOWN_CUSTOM_RESOURCES);
  }, 60_000);

  it('custom resources (ServiceMonitor, PrometheusRule, SecurityContextConstraints) have their CRDs’ shape', () => {
    const custom = SETS.flatMap(([n]) => objectsOf(n)).filter((o) =>
      KNOWN_CUSTOM_RESOURCES.includes(`${o.apiVersion} ${o.kind}`),
    );
    expect(new Set(custom.map((o) => o.kind))).toEqual(
      new Set(['ServiceMonitor', 'PrometheusRule', 'SecurityContextConstraints']),
    );
    expect(custom.flatMap(crdProblems)).toEqual([]);
  });

  it('the kubernetes-models check itself catches a broken object', async () => {
    const broken = structuredClone(daemonSet(objectsOf('default')));
    delete broken.spec.selector;
    broken.spec.template.spec.containers[0].ports[0].containerPort = '5001';
    const { problems } = await validateWithKubernetesModels([broken]);
    expect(problems[0].error).toMatch(/selector/);
    expect(problems[0].error).toMatch(/containerPort must be integer/);
  }, 30_000);

  it('renders the objects the default install needs, and nothing else', () => {
    const names = objectsOf('default')
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort();
    expect(names).toEqual(
      [
        'ClusterRole/koredump-coredumps-downloader',
        'ClusterRole/koredump-coredumps-sensitive',
        'ClusterRole/koredump-coredumps-viewer',
        'ClusterRole/koredump-node-collector',
        'ClusterRoleBinding/koredump-auth-delegator',
        'ClusterRoleBinding/koredump-node-collector',
        'DaemonSet/koredump-node-collector',
        'Deployment/koredump-aggregator',
        'Pod/koredump-test-readyz',
        'Role/koredump-aggregator',
        'RoleBinding/koredump-aggregator',
        'Service/koreapi',
        'ServiceAccount/koredump-aggregator',
        'ServiceAccount/koredump-node-collector',
      ].sort(),
    );
  });
});

describe.each(SETS.map(([n]) => [n]))('chart security properties (%s values)', (set) => {
  const objs = () => objectsOf(set);

  it('no privileged container, no host network, PID, IPC or host ports', () => {
    for (const pod of podSpecs(objs())) {
      expect({ owner: pod.owner, hostNetwork: pod.spec.hostNetwork ?? false }).toEqual({
        owner: pod.owner,
        hostNetwork: false,
      });
      expect(pod.spec.hostPID ?? false).toBe(false);
      expect(pod.spec.hostIPC ?? false).toBe(false);
    }
    for (const { where, c } of containers(objs())) {
      expect({ where, privileged: c.securityContext?.privileged ?? false }).toEqual({
        where,
        privileged: false,
      });
      for (const p of c.ports ?? []) {
        expect({ where, hostPort: p.hostPort }).toEqual({ where, hostPort: undefined });
      }
    }
  });

  it('every hostPath is mounted read-only, except the koredumpctl install directory in the init container', () => {
    for (const pod of podSpecs(objs())) {
      const hostPathVolumes = new Map<string, any>(
        (pod.spec.volumes ?? [])
          .filter((v: any) => v.hostPath)
          .map((v: any) => [v.name, v.hostPath]),
      );
      for (const group of ['initContainers', 'containers']) {
        for (const c of pod.spec[group] ?? []) {
          for (const m of c.volumeMounts ?? []) {
            const hp = hostPathVolumes.get(m.name);
            if (!hp) continue;
            const isInstall =
              group === 'initContainers' &&
              c.name === 'install-koredumpctl' &&
              m.name === 'koredumpctl-bin';
            expect({
              where: `${pod.owner} ${c.name} ${m.mountPath}`,
              readOnly: m.readOnly === true,
            }).toEqual({
              where: `${pod.owner} ${c.name} ${m.mountPath}`,
              readOnly: !isInstall,
            });
          }
        }
      }
      // The writable host directory is the koredumpctl one only, and only the init container has it.
      for (const c of pod.spec.containers ?? []) {
        expect((c.volumeMounts ?? []).map((m: any) => m.name)).not.toContain('koredumpctl-bin');
      }
    }
  });

  it('hostPath types never block the pod for a missing directory; /etc/machine-id is never created', () => {
    const volumes = daemonSet(objs()).spec.template.spec.volumes.filter((v: any) => v.hostPath);
    for (const v of volumes) {
      expect({ name: v.name, type: v.hostPath.type }).toEqual({
        name: v.name,
        type: v.name === 'machine-id' ? 'File' : 'DirectoryOrCreate',
      });
    }
  });

  it('capabilities: every container drops ALL; only the collector adds DAC_READ_SEARCH, nothing else', () => {
    for (const { where, c, pod, init } of containers(objs())) {
      const caps = c.securityContext?.capabilities ?? {};
      expect({ where, drop: caps.drop }).toEqual({ where, drop: ['ALL'] });
      const isCollector =
        pod.owner.startsWith('DaemonSet/') && !init && c.name === 'node-collector';
      expect({ where, add: caps.add ?? [] }).toEqual({
        where,
        add: isCollector ? ['DAC_READ_SEARCH'] : [],
      });
    }
  });

  it('read-only root filesystem and RuntimeDefault seccomp everywhere', () => {
    for (const { where, c, pod } of containers(objs())) {
      expect({ where, ro: c.securityContext?.readOnlyRootFilesystem }).toEqual({ where, ro: true });
      const seccomp = c.securityContext?.seccompProfile ?? pod.spec.securityContext?.seccompProfile;
      expect({ where, seccomp }).toEqual({ where, seccomp: { type: 'RuntimeDefault' } });
    }
  });

  it('non-root everywhere except the capability-less koredumpctl installer; no privilege escalation except the collector (file capabilities)', () => {
    for (const { where, c, pod, init } of containers(objs())) {
      const sc = { ...pod.spec.securityContext, ...c.securityContext };
      if (init) {
        expect({
          where,
          name: c.name,
          runAsUser: sc.runAsUser,
          escalation: sc.allowPrivilegeEscalation,
        }).toEqual({
          where,
          name: 'install-koredumpctl',
          runAsUser: 0,
          escalation: false,
        });
        continue;
      }
      expect({ where, runAsNonRoot: sc.runAsNonRoot }).toEqual({ where, runAsNonRoot: true });
      expect(sc.runAsUser === undefined || sc.runAsUser > 0).toBe(true);
      const isCollector = pod.owner.startsWith('DaemonSet/');
      expect({ where, escalation: sc.allowPrivilegeEscalation }).toEqual({
        where,
        escalation: isCollector,
      });
    }
    const collector = collectorContainer(objs());
    expect(collector.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001 });
  });

  it('the collector runs the node copy with the file capability, and finds the journalctl copy first', () => {
    const c = collectorContainer(objs());
    expect(c.command).toEqual([
      '/usr/libexec/koredump/node',
      '/opt/koredump/dist/apps/node-collector/src/main.js',
    ]);
    expect(env(c).PATH.split(':')[0]).toBe('/usr/libexec/koredump/bin');
    expect(aggregatorContainer(objs()).command[0]).toBe('node');
  });

  it('every container has resource requests and limits', () => {
    for (const { where, c } of containers(objs())) {
      expect({ where, r: Object.keys(c.resources ?? {}).sort() }).toEqual({
        where,
        r: ['limits', 'requests'],
      });
      expect(c.resources.requests.memory).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
  });

  it('probes: liveness /healthz and readiness /readyz on both apps', () => {
    for (const c of [collectorContainer(objs()), aggregatorContainer(objs())]) {
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    }
  });

  it('names derive from the release (only the Service keeps its configured name)', () => {
    const service = find(objs(), 'Service', set === 'everything' ? 'koredump-api' : 'koreapi');
    for (const o of objs()) {
      if (o === service) continue;
      const prefix = CLUSTER_SCOPED.has(o.kind)
        ? set === 'everything'
          ? 'kd-prod-'
          : 'koredump-'
        : 'koredump';
      expect(`${o.kind}/${o.metadata.name}`).toMatch(new RegExp(`^${o.kind}/${prefix}`));
      if (!CLUSTER_SCOPED.has(o.kind) && !['ServiceMonitor', 'PrometheusRule'].includes(o.kind)) {
        expect({ o: `${o.kind}/${o.metadata.name}`, ns: o.metadata.namespace }).toEqual({
          o: `${o.kind}/${o.metadata.name}`,
          ns: 'koredump',
        });
      }
    }
  });

  it('the DaemonSet, the Deployment and the Service select disjoint pods; the aggregator discovers its own collectors', () => {
    const ds = daemonSet(objs());
    const dep = deployment(objs());
    const collectorPods = ds.spec.template.metadata.labels;
    const aggregatorPods = dep.spec.template.metadata.labels;
    expect(ds.spec.selector.matchLabels).toEqual(COLLECTOR_SELECTOR);
    expect(dep.spec.selector.matchLabels).toEqual(AGGREGATOR_SELECTOR);
    expect(matches(ds.spec.selector.matchLabels, aggregatorPods)).toBe(false);
    expect(matches(dep.spec.selector.matchLabels, collectorPods)).toBe(false);
    const svc = findAll(objs(), 'Service').find((s) => s.spec.clusterIP !== 'None')!;
    expect(matches(svc.spec.selector, aggregatorPods)).toBe(true);
    expect(matches(svc.spec.selector, collectorPods)).toBe(false);
    const e = env(aggregatorContainer(objs()));
    const discovery = parseSelector(e.KOREDUMP_COLLECTOR_SELECTOR);
    expect(discovery).toEqual(COLLECTOR_SELECTOR);
    expect(matches(discovery, collectorPods)).toBe(true);
    expect(matches(discovery, aggregatorPods)).toBe(false);
    expect(e.KOREDUMP_NAMESPACE).toBe('koredump');
    expect(Number(e.KOREDUMP_DAEMONSET_PORT)).toBe(
      collectorContainer(objs()).ports[0].containerPort,
    );
  });
});

describe('chart values', () => {
  it('collector environment: node name from the downward API, auth, log format, paths', () => {
    const e = env(collectorContainer(objectsOf('default')));
    expect(e.KOREDUMP_NODE_NAME).toEqual({
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    expect(e).toMatchObject({
      PORT: '5001',
      HOST: '0.0.0.0',
      KOREDUMP_COREDUMP_DIR: '/var/lib/systemd/coredump',
      KOREDUMP_POD_LOGS_DIR: '/var/log/pods',
      KOREDUMP_AUTH_MODE: 'rbac',
      KOREDUMP_AUTH_CACHE_TTL_S: '60',
      KOREDUMP_LOG_FORMAT: 'json',
      KOREDUMP_RESCAN_INTERVAL_S: '60',
      KOREDUMP_EVENTS: 'true',
      KOREDUMP_EVENTS_WINDOW_S: '600',
      KOREDUMP_EVENTS_LOOKBACK_S: '3600',
      KOREDUMP_KERNEL_SYSCTL_DIR: '/host/proc/sys/kernel',
      KOREDUMP_HOST_ROOT: '/host',
    });
    expect(e.KOREDUMP_NAMESPACE_REGEX).toBeUndefined();
    expect(e.KOREDUMP_TOKEN_AUDIENCES).toBeUndefined();
    expect(e.KOREDUMP_JOURNAL_DIR).toBeUndefined();
    const mounts = collectorContainer(objectsOf('default')).volumeMounts.map(
      (m: any) => m.mountPath,
    );
    expect(mounts).toEqual(
      expect.arrayContaining([
        '/var/lib/systemd/coredump',
        '/var/log/journal',
        '/run/log/journal',
        '/etc/machine-id',
        '/var/log/pods',
        '/host/proc/sys/kernel',
        '/host/etc/systemd',
        '/host/run/systemd/coredump.conf.d',
        '/host/usr/lib/systemd',
      ]),
    );
  });

  it('node health: the host sysctls and systemd configuration directories, read-only under /host; "" and [] leave them out', async () => {
    const ds = daemonSet(objectsOf('default')).spec.template.spec;
    const hostPathOf = (name: string): unknown =>
      ds.volumes.find((v: any) => v.name === name)?.hostPath;
    const mounts = collectorContainer(objectsOf('default')).volumeMounts.filter((m: any) =>
      m.mountPath.startsWith('/host/'),
    );
    expect(mounts.map((m: any) => ({ ...m, hostPath: hostPathOf(m.name) }))).toEqual([
      {
        name: 'kernel-sysctls',
        mountPath: '/host/proc/sys/kernel',
        readOnly: true,
        hostPath: { path: '/proc/sys/kernel', type: 'DirectoryOrCreate' },
      },
      {
        name: 'systemd-config-0',
        mountPath: '/host/etc/systemd',
        readOnly: true,
        hostPath: { path: '/etc/systemd', type: 'DirectoryOrCreate' },
      },
      {
        name: 'systemd-config-1',
        mountPath: '/host/run/systemd/coredump.conf.d',
        readOnly: true,
        hostPath: { path: '/run/systemd/coredump.conf.d', type: 'DirectoryOrCreate' },
      },
      {
        name: 'systemd-config-2',
        mountPath: '/host/usr/lib/systemd',
        readOnly: true,
        hostPath: { path: '/usr/lib/systemd', type: 'DirectoryOrCreate' },
      },
    ]);
    // The init container (koredumpctl install) sees none of them.
    for (const c of ds.initContainers) {
      expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/host/koredumpctl-bin']);
    }

    const custom = await renderChart({
      values: {
        collector: {
          hostPaths: { kernelSysctls: '', systemdConfig: ['/usr/local/lib/systemd'] },
        },
      },
    });
    const c = collectorContainer(custom);
    expect(env(c).KOREDUMP_KERNEL_SYSCTL_DIR).toBeUndefined();
    expect(env(c).KOREDUMP_HOST_ROOT).toBe('/host');
    expect(c.volumeMounts.filter((m: any) => m.mountPath.startsWith('/host/'))).toEqual([
      { name: 'systemd-config-0', mountPath: '/host/usr/local/lib/systemd', readOnly: true },
    ]);
    const none = await renderChart({ values: { collector: { hostPaths: { systemdConfig: [] } } } });
    expect(env(collectorContainer(none)).KOREDUMP_HOST_ROOT).toBeUndefined();
    expect(
      daemonSet(none).spec.template.spec.volumes.some((v: any) =>
        v.name.startsWith('systemd-config'),
      ),
    ).toBe(false);
  }, 30_000);

  it('filter.namespaceRegex reaches KOREDUMP_NAMESPACE_REGEX byte for byte (quotes, #, colons)', () => {
    expect(env(collectorContainer(objectsOf('filter'))).KOREDUMP_NAMESPACE_REGEX).toBe(
      "team-a|infra-.*|'quoted': #x",
    );
    expect(env(aggregatorContainer(objectsOf('filter'))).KOREDUMP_NAMESPACE_REGEX).toBeUndefined();
  });

  it('auth.mode authenticated, audiences and cache TTL reach both apps', () => {
    for (const c of [
      collectorContainer(objectsOf('auth-authenticated')),
      aggregatorContainer(objectsOf('auth-authenticated')),
    ]) {
      expect(env(c)).toMatchObject({
        KOREDUMP_AUTH_MODE: 'authenticated',
        KOREDUMP_TOKEN_AUDIENCES: 'https://kubernetes.default.svc,koredump',
        KOREDUMP_AUTH_CACHE_TTL_S: '30',
      });
    }
  });

  it('control-plane tolerations by default; none with runOnControlPlaneNodes=false; extra ones appended', () => {
    const cp = [
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
    ];
    expect(daemonSet(objectsOf('default')).spec.template.spec.tolerations).toEqual(cp);
    expect(daemonSet(objectsOf('minimal')).spec.template.spec.tolerations).toBeUndefined();
    expect(daemonSet(objectsOf('everything')).spec.template.spec.tolerations).toEqual([
      ...cp,
      { operator: 'Exists' },
    ]);
    expect(deployment(objectsOf('default')).spec.template.spec.tolerations).toBeUndefined();
  });

  it('every optional value reaches its objects (image digest, pull secrets, priority, annotations, labels, scheduling, service)', () => {
    const o = objectsOf('everything');
    const image =
      'registry.example.com/koredump@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    for (const { c } of containers(o)) {
      expect(c.image).toBe(image);
      expect(c.imagePullPolicy).toBe('Always');
    }
    for (const pod of podSpecs(o)) expect(pod.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    const ds = daemonSet(o).spec.template;
    const dep = deployment(o).spec.template;
    expect(ds.spec.priorityClassName).toBe('system-node-critical');
    expect(dep.spec.priorityClassName).toBe('high');
    expect(ds.metadata.annotations).toEqual({
      'example.com/team': 'platform',
      'example.com/collector': 'yes',
    });
    expect(dep.metadata.annotations).toEqual({ 'example.com/team': 'platform' });
    expect(ds.metadata.labels['example.com/tier']).toBe('infra');
    expect(ds.spec.nodeSelector).toEqual({
      'kubernetes.io/os': 'linux',
      'example.com/pool': 'general',
    });
    // Helm merges maps: the default kubernetes.io/os stays unless set to null.
    expect(dep.spec.nodeSelector).toEqual({
      'kubernetes.io/os': 'linux',
      'example.com/pool': 'system',
    });
    expect(ds.spec.affinity.nodeAffinity).toBeDefined();
    expect(dep.spec.affinity.podAntiAffinity).toBeDefined();
    expect(dep.spec.tolerations).toEqual([
      { key: 'example.com/system', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
    ]);
    expect(deployment(o).spec.replicas).toBe(2);
    expect(env(collectorContainer(o)).KOREDUMP_EXTRA).toBe('1');
    expect(env(collectorContainer(o)).KOREDUMP_LOG_FORMAT).toBe('text');
    expect(env(aggregatorContainer(o)).KOREDUMP_NODE_TIMEOUT_MS).toBe('2500');
    expect(collectorContainer(o).securityContext.seLinuxOptions).toEqual({
      type: 'container_logreader_t',
    });
    const svc = find(o, 'Service', 'koredump-api');
    expect(svc.spec).toMatchObject({
      type: 'LoadBalancer',
      ports: [{ port: 8080, targetPort: 'http', name: 'http', protocol: 'TCP' }],
    });
    expect(svc.metadata.annotations).toEqual({ 'example.com/lb': 'internal' });
    expect(find(o, 'ServiceAccount', 'koredump-node-collector').metadata.annotations).toEqual({
      'example.com/sa': 'collector',
    });
    const install = ds.spec.volumes.find((v: any) => v.name === 'koredumpctl-bin');
    expect(install.hostPath.path).toBe('/opt/bin');
    expect(find(o, 'Pod').spec.containers[0].command.at(-1)).toBe(
      'http://koredump-api.koredump.svc:8080/readyz',
    );
  });

  it('minimal: no init container and no writable host mount, no user roles, optional mounts left out', () => {
    const o = objectsOf('minimal');
    const ds = daemonSet(o).spec.template.spec;
    expect(ds.initContainers).toBeUndefined();
    expect(ds.volumes.map((v: any) => v.name).sort()).toEqual([
      'coredump',
      'journal-runtime',
      'kernel-sysctls',
      'machine-id',
      'systemd-config-0',
      'systemd-config-1',
      'systemd-config-2',
      'tmp',
    ]);
    expect(env(collectorContainer(o)).KOREDUMP_POD_LOGS_DIR).toBeUndefined();
    expect(findAll(o, 'ClusterRole').map((r) => r.metadata.name)).toEqual([
      'koredump-node-collector',
    ]);
    expect(findAll(o, 'Pod')).toEqual([]);
  });

  it('RBAC of the workloads: auth-delegator, pods and events for the collector, namespaced pods for the aggregator, nothing more', () => {
    const o = objectsOf('default');
    const delegator = find(o, 'ClusterRoleBinding', 'koredump-auth-delegator');
    expect(delegator.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'system:auth-delegator',
    });
    expect(delegator.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'koredump-node-collector', namespace: 'koredump' },
      { kind: 'ServiceAccount', name: 'koredump-aggregator', namespace: 'koredump' },
    ]);
    expect(find(o, 'ClusterRole', 'koredump-node-collector').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'get', 'list'] },
    ]);
    expect(find(o, 'ClusterRoleBinding', 'koredump-node-collector').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'koredump-node-collector', namespace: 'koredump' },
    ]);
    const role = find(o, 'Role', 'koredump-aggregator');
    expect(role.metadata.namespace).toBe('koredump');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(find(o, 'RoleBinding', 'koredump-aggregator').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'koredump-aggregator', namespace: 'koredump' },
    ]);
    expect(daemonSet(o).spec.template.spec.serviceAccountName).toBe('koredump-node-collector');
    expect(deployment(o).spec.template.spec.serviceAccountName).toBe('koredump-aggregator');
    // No rule anywhere reaches secrets, nodes/proxy or wildcards.
    for (const r of [...findAll(o, 'ClusterRole'), ...findAll(o, 'Role')].flatMap((x) => x.rules)) {
      expect(r.resources).not.toContain('*');
      expect(r.verbs).not.toContain('*');
      expect(r.resources).not.toContain('secrets');
    }
  });

  it('user-facing roles on coredumps.koredump.io, aggregated into view/edit/admin as configured', () => {
    const labelsOf = (o: K8sObject[], name: string) =>
      Object.keys(find(o, 'ClusterRole', name).metadata.labels ?? {})
        .filter((k) => k.startsWith('rbac.authorization.k8s.io/aggregate-to-'))
        .map((k) => k.replace('rbac.authorization.k8s.io/aggregate-to-', ''))
        .sort();
    const d = objectsOf('default');
    expect(find(d, 'ClusterRole', 'koredump-coredumps-viewer').rules).toEqual([
      { apiGroups: ['koredump.io'], resources: ['coredumps'], verbs: ['get', 'list'] },
    ]);
    expect(find(d, 'ClusterRole', 'koredump-coredumps-downloader').rules).toEqual([
      { apiGroups: ['koredump.io'], resources: ['coredumps'], verbs: ['get', 'list'] },
      { apiGroups: ['koredump.io'], resources: ['coredumps/download'], verbs: ['get'] },
    ]);
    expect(find(d, 'ClusterRole', 'koredump-coredumps-sensitive').rules).toEqual([
      { apiGroups: ['koredump.io'], resources: ['coredumps/sensitive'], verbs: ['get'] },
    ]);
    expect(labelsOf(d, 'koredump-coredumps-viewer')).toEqual(['admin', 'edit', 'view']);
    expect(labelsOf(d, 'koredump-coredumps-downloader')).toEqual(['admin', 'edit']);
    expect(labelsOf(d, 'koredump-coredumps-sensitive')).toEqual(['admin', 'edit']);
    const e = objectsOf('everything');
    expect(labelsOf(e, 'kd-prod-coredumps-viewer')).toEqual(['view']);
    expect(labelsOf(e, 'kd-prod-coredumps-downloader')).toEqual([]);
    expect(labelsOf(e, 'kd-prod-coredumps-sensitive')).toEqual(['admin']);
  });

  it('OpenShift: a least-privilege SCC only the collector may use, spc_t on the host-facing containers, an assigned UID for the aggregator', () => {
    const o = objectsOf('openshift');
    const scc = find(o, 'SecurityContextConstraints');
    expect(scc.metadata.name).toBe('koredump-node-collector');
    expect(scc).toMatchObject({
      allowPrivilegedContainer: false,
      allowHostNetwork: false,
      allowHostPID: false,
      allowHostIPC: false,
      allowHostPorts: false,
      allowHostDirVolumePlugin: true,
      allowPrivilegeEscalation: true,
      readOnlyRootFilesystem: true,
      allowedCapabilities: ['DAC_READ_SEARCH'],
      requiredDropCapabilities: ['ALL'],
      users: [],
      groups: [],
      runAsUser: { type: 'RunAsAny' },
    });
    expect(scc.volumes).not.toContain('*');
    const use = find(o, 'ClusterRole', 'koredump-node-collector-scc');
    expect(use.rules).toEqual([
      {
        apiGroups: ['security.openshift.io'],
        resources: ['securitycontextconstraints'],
        resourceNames: ['koredump-node-collector'],
        verbs: ['use'],
      },
    ]);
    const binding = find(o, 'RoleBinding', 'koredump-node-collector-scc');
    expect(binding.metadata.namespace).toBe('koredump');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'koredump-node-collector', namespace: 'koredump' },
    ]);
    const ds = daemonSet(o).spec.template.spec;
    for (const c of [...ds.initContainers, ...ds.containers]) {
      expect(c.securityContext.seLinuxOptions).toEqual({ type: 'spc_t' });
    }
    // The SCC admits exactly what the collector pod asks for.
    for (const c of [...ds.initContainers, ...ds.containers]) {
      for (const cap of c.securityContext.capabilities.add ?? []) {
        expect(scc.allowedCapabilities).toContain(cap);
      }
    }
    const volumeTypes = new Set(
      ds.volumes.map((v: any) =>
        v.hostPath ? 'hostPath' : Object.keys(v).find((k) => k !== 'name'),
      ),
    );
    for (const t of volumeTypes) expect(scc.volumes).toContain(t);
    const agg = deployment(o).spec.template.spec;
    expect(agg.securityContext.runAsUser).toBeUndefined();
    expect(agg.securityContext.runAsNonRoot).toBe(true);
    expect(agg.containers[0].securityContext.seLinuxOptions).toBeUndefined();
  });

  it('events.enabled=false: KOREDUMP_EVENTS=false and no events RBAC; the window and lookback reach the collector', async () => {
    const off = await renderChart({ values: { events: { enabled: false } } });
    const e = env(collectorContainer(off));
    expect(e.KOREDUMP_EVENTS).toBe('false');
    expect(e.KOREDUMP_EVENTS_WINDOW_S).toBeUndefined();
    expect(e.KOREDUMP_EVENTS_LOOKBACK_S).toBeUndefined();
    expect(find(off, 'ClusterRole', 'koredump-node-collector').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(env(collectorContainer(objectsOf('everything')))).toMatchObject({
      KOREDUMP_EVENTS: 'true',
      KOREDUMP_EVENTS_WINDOW_S: '300',
      KOREDUMP_EVENTS_LOOKBACK_S: '1800',
    });
    expect(env(aggregatorContainer(objectsOf('everything'))).KOREDUMP_EVENTS).toBeUndefined();
  }, 30_000);

  it('rbac.create=false leaves all workload RBAC (the SCC binding included) to the operator', async () => {
    const o = await renderChart({
      valuesFiles: ['ci/openshift-values.yaml'],
      values: { rbac: { create: false } },
    });
    expect(findAll(o, 'ClusterRoleBinding')).toEqual([]);
    expect(findAll(o, 'RoleBinding')).toEqual([]);
    expect(findAll(o, 'Role')).toEqual([]);
    expect(findAll(o, 'ClusterRole').map((r) => r.metadata.name)).toEqual([
      'koredump-coredumps-viewer',
      'koredump-coredumps-downloader',
      'koredump-coredumps-sensitive',
    ]);
    expect(findAll(o, 'SecurityContextConstraints')).toHaveLength(1);
  }, 30_000);

  it('collector.allowPrivilegeEscalation=false reaches the collector container and the SCC', async () => {
    const o = await renderChart({
      valuesFiles: ['ci/openshift-values.yaml'],
      values: { collector: { allowPrivilegeEscalation: false } },
    });
    expect(collectorContainer(o).securityContext.allowPrivilegeEscalation).toBe(false);
    expect(find(o, 'SecurityContextConstraints').allowPrivilegeEscalation).toBe(false);
  }, 30_000);

  it('OpenShift without koredumpctl on the hosts pins the SCC to the collector UID', async () => {
    const o = await renderChart({
      valuesFiles: ['ci/openshift-values.yaml'],
      values: { koredumpctl: { installOnHost: false } },
    });
    expect(find(o, 'SecurityContextConstraints').runAsUser).toEqual({
      type: 'MustRunAs',
      uid: 10001,
    });
    expect(collectorContainer(o).securityContext.runAsUser).toBe(10001);
  }, 30_000);

  it('NetworkPolicy: only this release’s aggregator (and the metrics peers) reach the collectors’ port', () => {
    const o = objectsOf('networkpolicy');
    const np = find(o, 'NetworkPolicy', 'koredump-node-collector');
    expect(np.spec.podSelector.matchLabels).toEqual(COLLECTOR_SELECTOR);
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    expect(np.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: AGGREGATOR_SELECTOR } }],
        ports: [{ port: 'http', protocol: 'TCP' }],
      },
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
        ports: [{ port: 'http', protocol: 'TCP' }],
      },
    ]);
    expect(
      matches(np.spec.podSelector.matchLabels, deployment(o).spec.template.metadata.labels),
    ).toBe(false);
    const agg = find(o, 'NetworkPolicy', 'koredump-aggregator');
    expect(agg.spec.podSelector.matchLabels).toEqual(AGGREGATOR_SELECTOR);
    // The metrics peers reach the aggregator's port too (its /metrics) when aggregator.from
    // restricts it.
    expect(agg.spec.ingress).toEqual([
      { ports: [{ port: 'http', protocol: 'TCP' }], from: [{ namespaceSelector: {} }] },
      { ports: [{ port: 'http', protocol: 'TCP' }], from: np.spec.ingress[1].from },
    ]);
    expect(findAll(objectsOf('default'), 'NetworkPolicy')).toEqual([]);
  });

  it('ServiceMonitor scrapes /metrics of the collectors (headless Service) and the aggregator, node label on the collectors only', () => {
    const o = objectsOf('servicemonitor');
    const headless = find(o, 'Service', 'koredump-node-collector');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.selector).toEqual(COLLECTOR_SELECTOR);
    const sm = find(o, 'ServiceMonitor');
    expect(sm.metadata.labels?.release).toBe('kube-prometheus-stack');
    const scraped = findAll(o, 'Service').filter((s) =>
      matches(sm.spec.selector.matchLabels, s.metadata.labels ?? {}),
    );
    expect(scraped.map((s) => s.metadata.name).sort()).toEqual([
      'koreapi',
      'koredump-node-collector',
    ]);
    for (const s of scraped) {
      expect(s.spec.ports.map((p: any) => p.name)).toContain(sm.spec.endpoints[0].port);
    }
    const endpoint = sm.spec.endpoints[0];
    expect(endpoint.path).toBe('/metrics');
    // The core's namespace/container must not replace the target's: they become exported_*.
    expect(endpoint.honorLabels).toBe(false);
    // node only where the series come from a collector (the aggregator has its own node label).
    const nodeRelabel = endpoint.relabelings.find((r: any) => r.targetLabel === 'node');
    expect(nodeRelabel).toMatchObject({
      sourceLabels: [
        '__meta_kubernetes_service_label_app_kubernetes_io_component',
        '__meta_kubernetes_pod_node_name',
      ],
      regex: 'node-collector;(.+)',
      replacement: '$1',
    });
    expect(headless.metadata.labels?.['app.kubernetes.io/component']).toBe('node-collector');
    expect(find(o, 'Service', 'koreapi').metadata.labels?.['app.kubernetes.io/component']).toBe(
      'aggregator',
    );
    expect(findAll(objectsOf('default'), 'ServiceMonitor')).toEqual([]);
    expect(findAll(objectsOf('default'), 'PrometheusRule')).toEqual([]);
  });

  it('PrometheusRule: new cores, a collector down, no collector scraped, nodes not ready', () => {
    const rule = find(objectsOf('servicemonitor'), 'PrometheusRule');
    const rules = rule.spec.groups[0].rules;
    expect(rules.map((r: any) => r.alert)).toEqual([
      'KoredumpNewCore',
      'KoredumpCollectorDown',
      'KoredumpCollectorsAbsent',
      'KoredumpNodesNotReady',
    ]);
    const selector = 'namespace="koredump", service="koredump-node-collector"';
    expect(rules[0].expr).toContain(`increase(koredump_cores_new_total{${selector}}[10m])`);
    expect(rules[1].expr).toBe(`up{${selector}} == 0`);
    expect(rules[3].expr).toContain(
      'koredump_nodes_ready{namespace="koredump", service="koreapi"}',
    );
  });

  it('metrics.enabled reaches both apps as KOREDUMP_METRICS; the Prometheus objects need it', async () => {
    expect(env(collectorContainer(objectsOf('default'))).KOREDUMP_METRICS).toBe('1');
    expect(env(aggregatorContainer(objectsOf('default'))).KOREDUMP_METRICS).toBe('1');
    const off = await renderChart({ values: { metrics: { enabled: false } } });
    expect(env(collectorContainer(off)).KOREDUMP_METRICS).toBe('0');
    expect(env(aggregatorContainer(off)).KOREDUMP_METRICS).toBe('0');
    await expect(
      renderChart({ values: { metrics: { enabled: false }, serviceMonitor: { enabled: true } } }),
    ).rejects.toThrow(/serviceMonitor.enabled needs metrics.enabled/);
    await expect(
      renderChart({ values: { metrics: { enabled: false }, prometheusRule: { enabled: true } } }),
    ).rejects.toThrow(/prometheusRule.enabled needs metrics.enabled/);
  }, 30_000);

  it('watch.* reaches both apps as KOREDUMP_WATCH_HEARTBEAT_S and KOREDUMP_WATCH_MAX_CLIENTS', async () => {
    for (const app of [collectorContainer, aggregatorContainer]) {
      expect(env(app(objectsOf('default')))).toMatchObject({
        KOREDUMP_WATCH_HEARTBEAT_S: '15',
        KOREDUMP_WATCH_MAX_CLIENTS: '1000',
      });
    }
    const tuned = await renderChart({ values: { watch: { heartbeatSeconds: 5, maxClients: 50 } } });
    for (const app of [collectorContainer, aggregatorContainer]) {
      expect(env(app(tuned))).toMatchObject({
        KOREDUMP_WATCH_HEARTBEAT_S: '5',
        KOREDUMP_WATCH_MAX_CLIENTS: '50',
      });
    }
    await expect(renderChart({ values: { watch: { heartbeatSeconds: 0 } } })).rejects.toThrow(
      /heartbeatSeconds/,
    );
  }, 30_000);

  it('NOTES.txt names the Service, the user roles and warns about auth.mode=authenticated', async () => {
    const [notes, authenticated] = await Promise.all([
      renderNotes(),
      renderNotes({ valuesFiles: ['ci/auth-authenticated-values.yaml'] }),
    ]);
    expect(notes).toContain('http://koreapi.koredump.svc');
    expect(notes).toContain('koredump-coredumps-downloader');
    expect(notes).toContain('/usr/local/bin/koredumpctl');
    expect(authenticated).toContain('WARNING: auth.mode=authenticated');
  }, 30_000);
});

describe('PrometheusRule under promtool (Prometheus’ own rule checker and unit tester)', () => {
  let dir: string;
  const collector = (pod: string, node: string, ns: string, container: string, signal: string) =>
    `koredump_cores_new_total{namespace="koredump",service="koredump-node-collector",pod="${pod}",node="${node}",exported_namespace="${ns}",exported_container="${container}",signal="${signal}"}`;
  const newCore = (ns: string, container: string, node: string) => ({
    exp_labels: {
      severity: 'warning',
      exported_namespace: ns,
      exported_container: container,
      signal: 'SIGSEGV',
      node,
    },
    exp_annotations: {
      summary: `New core dump in namespace ${ns} on node ${node}`,
      description: `1 new core(s) of container "${container}" (SIGSEGV) in namespace "${ns}" on node ${node} in the last 10m (empty namespace: a host process or a pod koredump could not name). \`koredumpctl list --node ${node} -S 10m\` lists them.`,
    },
  });

  beforeAll(async () => {
    await ensurePromtool();
    dir = await mkdtemp(join(tmpdir(), 'koredump-promtool-'));
    const rule = find(objectsOf('servicemonitor'), 'PrometheusRule');
    await writeFile(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('promtool check rules accepts every rule', async () => {
    const r = await promtool(['check', 'rules', 'rules.yaml'], dir);
    expect({ code: r.code, out: r.stdout + r.stderr }).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('SUCCESS: 4 rules found');
  }, 60_000);

  it('KoredumpNewCore fires for a counter that appears or grows, once per window, for this release only; the others fire when they should', async () => {
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // First core of a label set at minute 15: the series appears at 1.
            { series: collector('c1', 'n1', 'team-a', 'app', 'SIGSEGV'), values: '_x15 1x20' },
            // Unchanged since the start: no alert.
            { series: collector('c1', 'n1', 'team-b', 'db', 'SIGABRT'), values: '2x35' },
            // Grows from 1 to 2 at minute 16.
            { series: collector('c2', 'n2', 'team-c', 'web', 'SIGSEGV'), values: '1x15 2x20' },
            // Another release's collectors (another namespace): not this rule's business.
            {
              series:
                'koredump_cores_new_total{namespace="other",service="koredump-node-collector",pod="x",node="n9",exported_namespace="team-z",exported_container="z",signal="SIGSEGV"}',
              values: '_x15 1x20',
            },
            {
              series: 'up{namespace="koredump",service="koredump-node-collector",node="n3"}',
              values: '1x5 0x30',
            },
            {
              series: 'up{namespace="koredump",service="koredump-node-collector",node="n1"}',
              values: '1x35',
            },
            { series: 'koredump_nodes{namespace="koredump",service="koreapi"}', values: '3x35' },
            {
              series: 'koredump_nodes_ready{namespace="koredump",service="koreapi"}',
              values: '3x10 2x25',
            },
          ],
          alert_rule_test: [
            {
              eval_time: '17m',
              alertname: 'KoredumpNewCore',
              exp_alerts: [newCore('team-a', 'app', 'n1'), newCore('team-c', 'web', 'n2')],
            },
            { eval_time: '30m', alertname: 'KoredumpNewCore', exp_alerts: [] },
            { eval_time: '14m', alertname: 'KoredumpCollectorDown', exp_alerts: [] },
            {
              eval_time: '16m',
              alertname: 'KoredumpCollectorDown',
              exp_alerts: [
                {
                  exp_labels: {
                    severity: 'warning',
                    namespace: 'koredump',
                    service: 'koredump-node-collector',
                    node: 'n3',
                  },
                  exp_annotations: {
                    summary: 'koredump node-collector on n3 does not answer',
                    description:
                      "Cores of node n3 cannot be listed or downloaded. `koredumpctl status` and the pod's events say why.",
                  },
                },
              ],
            },
            { eval_time: '20m', alertname: 'KoredumpCollectorsAbsent', exp_alerts: [] },
            { eval_time: '20m', alertname: 'KoredumpNodesNotReady', exp_alerts: [] },
            {
              eval_time: '27m',
              alertname: 'KoredumpNodesNotReady',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', namespace: 'koredump', service: 'koreapi' },
                  exp_annotations: {
                    summary: 'koredump has nodes without a ready collector',
                    description:
                      '2 nodes have a ready collector, fewer than have a collector pod: cores of the others are not listed. `koredumpctl status` names them.',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    await writeFile(join(dir, 'tests.yaml'), stringify(tests));
    const r = await promtool(['test', 'rules', 'tests.yaml'], dir);
    expect({ code: r.code, out: r.stdout + r.stderr }).toMatchObject({ code: 0 });
  }, 60_000);

  it('promtool test rules fails when an alert does not fire as expected (the check can fail)', async () => {
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: collector('c1', 'n1', 'team-b', 'db', 'SIGABRT'), values: '2x35' },
          ],
          alert_rule_test: [
            {
              eval_time: '30m',
              alertname: 'KoredumpNewCore',
              exp_alerts: [newCore('team-b', 'db', 'n1')],
            },
          ],
        },
      ],
    };
    await writeFile(join(dir, 'wrong.yaml'), stringify(tests));
    const r = await promtool(['test', 'rules', 'wrong.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('FAILED');
  }, 60_000);
});

describe('chart names across releases', () => {
  const clusterNames = (o: K8sObject[]) =>
    o.filter((x) => CLUSTER_SCOPED.has(x.kind)).map((x) => `${x.kind}/${x.metadata.name}`);
  const all = {
    values: {
      openshift: { enabled: true },
      serviceMonitor: { enabled: true },
      networkPolicy: { enabled: true },
    },
  };

  it.each([
    [
      'same release name, two namespaces',
      { release: 'koredump', namespace: 'koredump' },
      { release: 'koredump', namespace: 'staging' },
    ],
    [
      'two release names, two namespaces',
      { release: 'kd-a', namespace: 'team-a' },
      { release: 'kd-b', namespace: 'team-b' },
    ],
    [
      'two release names, one namespace',
      { release: 'one', namespace: 'shared' },
      { release: 'two', namespace: 'shared' },
    ],
  ])(
    '%s: no cluster-scoped name collides',
    async (_, a, b) => {
      const [ra, rb] = await Promise.all([
        renderChart({ ...a, ...all }),
        renderChart({ ...b, ...all }),
      ]);
      const na = clusterNames(ra);
      expect(na.length).toBeGreaterThanOrEqual(8);
      expect(na.filter((n) => clusterNames(rb).includes(n))).toEqual([]);
      // Namespaced objects live in their release's namespace.
      for (const o of ra.filter((x) => !CLUSTER_SCOPED.has(x.kind))) {
        expect(o.metadata.namespace).toBe(a.namespace);
      }
      if (a.namespace === b.namespace) {
        // Only the Service keeps a fixed name; two releases in one namespace must rename it.
        const namespaced = (o: K8sObject[]) =>
          o.filter((x) => !CLUSTER_SCOPED.has(x.kind)).map((x) => `${x.kind}/${x.metadata.name}`);
        expect(namespaced(ra).filter((n) => namespaced(rb).includes(n))).toEqual([
          'Service/koreapi',
        ]);
      }
    },
    60_000,
  );

  it('fullnameOverride and nameOverride rename everything but the Service', async () => {
    const o = await renderChart({
      values: { fullnameOverride: 'crash', nameOverride: 'cores' },
      namespace: 'crash',
    });
    expect(daemonSet(o).metadata.name).toBe('crash-node-collector');
    expect(daemonSet(o).spec.selector.matchLabels['app.kubernetes.io/name']).toBe('cores');
    expect(find(o, 'ClusterRole', 'crash-coredumps-viewer')).toBeDefined();
    expect(env(aggregatorContainer(o)).KOREDUMP_COLLECTOR_SELECTOR).toContain(
      'app.kubernetes.io/name=cores',
    );
    expect(find(o, 'Service').metadata.name).toBe('koreapi');
  }, 30_000);
});

describe('values.schema.json', () => {
  it.each([
    [
      'a typo in a nested key',
      { collector: { resource: {} } },
      /Additional property resource is not allowed/,
    ],
    [
      'an unknown top-level key',
      { runOnControlPlane: true },
      /Additional property runOnControlPlane is not allowed/,
    ],
    [
      'a wrong type',
      { runOnControlPlaneNodes: 'yes' },
      /runOnControlPlaneNodes: Invalid type. Expected: boolean/,
    ],
    [
      'a number as a string',
      { nodeTimeoutMs: '5000' },
      /nodeTimeoutMs: Invalid type. Expected: integer/,
    ],
    [
      'a typo in the metrics switch',
      { metrics: { enable: false } },
      /Additional property enable is not allowed/,
    ],
    [
      'an unknown severity of the new-core alert',
      { prometheusRule: { newCoreSeverity: 'page' } },
      /newCoreSeverity must be one of the following/,
    ],
    ['an unknown auth mode', { auth: { mode: 'none' } }, /auth.mode must be one of the following/],
    [
      'events.enabled as a string',
      { events: { enabled: 'yes' } },
      /events.enabled: Invalid type. Expected: boolean/,
    ],
    [
      'an events window of zero',
      { events: { windowSeconds: 0 } },
      /events.windowSeconds: Must be greater than or equal to 1/,
    ],
    [
      'a relative host path',
      { collector: { hostPaths: { coredump: 'var/lib/systemd/coredump' } } },
      /coredump: Does not match pattern/,
    ],
    [
      'a pod label that would change the selectors',
      { podLabels: { 'app.kubernetes.io/name': 'x' } },
      /podLabels/,
    ],
    [
      'a relative systemd config directory',
      { collector: { hostPaths: { systemdConfig: ['etc/systemd'] } } },
      /systemdConfig.0: Does not match pattern/,
    ],
    [
      'a typo in a toleration',
      { collector: { tolerations: [{ operater: 'Exists' }] } },
      /Additional property operater is not allowed/,
    ],
    [
      'an unknown built-in role to aggregate into',
      { rbac: { aggregate: { viewer: ['cluster-admin'] } } },
      /must be one of the following: "view", "edit", "admin"/,
    ],
  ])(
    'rejects %s',
    async (_, values, message) => {
      await expect(renderChart({ values })).rejects.toThrow(message);
    },
    30_000,
  );
});
