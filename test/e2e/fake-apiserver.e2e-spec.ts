/**
 * Self-test of test/support/fake-apiserver.ts through the REAL @kubernetes/client-node (2.0.1,
 * undici 7): kubeconfig and in-cluster configuration, TokenReview, SubjectAccessReview, pod
 * list/get/watch, an informer across reconnects and relists, an unreachable API, the service proxy,
 * events.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApiException,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type CoreV1Event,
  type V1Pod,
} from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/exec.js';
import {
  makePod,
  SERVICE_ACCOUNT_USER,
  startFakeApiServer,
  type FakeApiServer,
} from '../support/fake-apiserver.js';

const SA_TOKEN = 'sa-token-for-e2e';
const ALICE = {
  username: 'alice',
  uid: 'alice-uid',
  groups: ['devs', 'system:authenticated'],
  extra: { 'example.com/team': ['blue'] },
};
const NODE_A_SELECTOR = 'spec.nodeName=node-a';
const hex64 = (c: string): string => c.repeat(64);

function pod(
  ns: string,
  name: string,
  nodeName: string,
  extra: Partial<Parameters<typeof makePod>[0]> = {},
): V1Pod {
  return makePod({
    namespace: ns,
    name,
    uid: `uid-${ns}-${name}`,
    nodeName,
    containers: [{ name: 'app', image: 'busybox:1.36' }],
    ...extra,
  });
}

/** The error a rejected client-node call carries (ApiException for HTTP errors). */
async function apiError(p: Promise<unknown>): Promise<ApiException<string>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) return e as ApiException<string>;
    throw e;
  }
  throw new Error('expected the call to fail');
}

function statusBody(e: ApiException<string>): { reason: string; code: number; message: string } {
  return JSON.parse(e.body) as { reason: string; code: number; message: string };
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A plain HTTPS request trusting the fake's CA (for what client-node cannot send). */
function httpsRequest(
  url: string,
  ca: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('fake API server via @kubernetes/client-node', () => {
  let api: FakeApiServer;
  let dir: string;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    api = await startFakeApiServer({ serviceAccountToken: SA_TOKEN, bookmarkIntervalMs: 200 });
    dir = await mkdtemp(join(tmpdir(), 'fake-apiserver-e2e-'));
    await api.writeKubeconfig(join(dir, 'kubeconfig'), { namespace: 'koredump' });
    kc = new KubeConfig();
    kc.loadFromFile(join(dir, 'kubeconfig'));
    core = kc.makeApiClient(CoreV1Api);

    api.addToken('alice-token', ALICE);
    api.addToken('expired-token', ALICE, { expired: true });
    api.addToken('koredump-aud-token', ALICE, { audiences: ['koredump'] });
    api.grant('alice', {
      verbs: ['get', 'list'],
      apiGroups: ['koredump.io'],
      resources: ['coredumps'],
      namespaces: ['team-a'],
    });
    api.grant('alice', {
      verbs: ['get'],
      apiGroups: ['koredump.io'],
      resources: ['coredumps/download'],
      namespaces: ['team-a'],
    });
    api.grant({ group: 'devs' }, { verbs: ['list'], apiGroups: [''], resources: ['pods'] });
    api.grant({ group: 'admins' }, { verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
  });

  afterAll(async () => {
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('authentication (TokenReview)', () => {
    const review = (token: string, audiences?: string[]) =>
      kc.makeApiClient(AuthenticationV1Api).createTokenReview({
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, audiences },
        },
      });

    it('authenticates a known token with the user, groups, uid, extra and default audience', async () => {
      const before = api.requests.length;
      const tr = await review('alice-token');
      expect(tr.status).toEqual({
        authenticated: true,
        user: {
          username: 'alice',
          uid: 'alice-uid',
          groups: ['devs', 'system:authenticated'],
          extra: ALICE.extra,
        },
        audiences: ['https://kubernetes.default.svc'],
      });
      const seen = api.requests.slice(before).filter((r) => r.path.endsWith('/tokenreviews'));
      expect(seen).toHaveLength(1);
      expect(seen[0].method).toBe('POST');
      expect(seen[0].body).toMatchObject({ kind: 'TokenReview', spec: { token: 'alice-token' } });
      expect(seen[0].headers.authorization).toBe(`Bearer ${SA_TOKEN}`);
    });

    it('rejects an unknown token the way the real API server does (no "authenticated" field)', async () => {
      const tr = await review('nope');
      expect(tr.status?.authenticated).toBeUndefined();
      expect(tr.status?.user).toEqual({});
      expect(tr.status?.error).toContain('invalid bearer token');
    });

    it('rejects an expired token', async () => {
      const tr = await review('expired-token');
      expect(tr.status?.authenticated).toBeFalsy();
      expect(tr.status?.error).toContain('token has expired');
    });

    it('honours spec.audiences', async () => {
      expect((await review('koredump-aud-token', ['koredump'])).status).toMatchObject({
        authenticated: true,
        audiences: ['koredump'],
      });
      // Default audience is the API server's: a koredump-only token is not valid for it.
      expect((await review('koredump-aud-token')).status?.error).toContain(
        'invalid for the target audiences',
      );
      expect((await review('alice-token', ['koredump'])).status?.authenticated).toBeFalsy();
    });

    it('answers a wrong service account token with a 401 Status', async () => {
      await api.writeKubeconfig(join(dir, 'bad'), { token: 'wrong' });
      const bad = new KubeConfig();
      bad.loadFromFile(join(dir, 'bad'));
      const e = await apiError(bad.makeApiClient(CoreV1Api).listPodForAllNamespaces());
      expect(e.code).toBe(401);
      // client-node 2.0.1 drops the body of a 401 (the fake does send a Status, see below).
      expect(e.body).toBeUndefined();
      const raw = await httpsRequest(`${api.url}/api/v1/pods`, api.caCert, {
        headers: { Authorization: 'Bearer wrong' },
      });
      expect(raw.status).toBe(401);
      expect(JSON.parse(raw.body)).toMatchObject({
        kind: 'Status',
        reason: 'Unauthorized',
        code: 401,
      });
    });
  });

  describe('authorization (SubjectAccessReview)', () => {
    const sar = (attrs: Record<string, string>, user = 'alice', groups: string[] = ['devs']) =>
      kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user, groups, uid: 'alice-uid', resourceAttributes: attrs },
        },
      });
    const koredump = (verb: string, namespace: string, subresource?: string) =>
      sar({
        verb,
        group: 'koredump.io',
        resource: 'coredumps',
        namespace,
        ...(subresource ? { subresource } : {}),
      });

    it('allows by namespace and denies other namespaces', async () => {
      const ok = await koredump('list', 'team-a');
      expect(ok.status?.allowed).toBe(true);
      expect(ok.status?.reason).toContain('alice');
      expect((await koredump('list', 'team-b')).status?.allowed).toBe(false);
      expect((await koredump('delete', 'team-a')).status?.allowed).toBe(false);
    });

    it('checks subresources in the resource/subresource form', async () => {
      expect((await koredump('get', 'team-a', 'download')).status?.allowed).toBe(true);
      expect((await koredump('get', 'team-b', 'download')).status?.allowed).toBe(false);
      api.grant('bob', { verbs: ['get'], apiGroups: ['koredump.io'], resources: ['coredumps'] });
      const bob = await sar(
        {
          verb: 'get',
          group: 'koredump.io',
          resource: 'coredumps',
          subresource: 'download',
          namespace: 'x',
        },
        'bob',
        [],
      );
      expect(bob.status?.allowed).toBe(false);
    });

    it('matches group grants, wildcards and cluster-wide rules (also for cluster-scope requests)', async () => {
      expect(
        (await sar({ verb: 'list', resource: 'pods', namespace: 'any' })).status?.allowed,
      ).toBe(true);
      expect((await sar({ verb: 'list', resource: 'pods' })).status?.allowed).toBe(true);
      expect((await sar({ verb: 'list', resource: 'pods' }, 'alice', [])).status?.allowed).toBe(
        false,
      );
      const root = await sar(
        { verb: 'delete', group: 'x.io', resource: 'y', subresource: 'z' },
        'carol',
        ['admins'],
      );
      expect(root.status?.allowed).toBe(true);
    });

    it('records the review as sent', async () => {
      const before = api.requests.length;
      await koredump('get', 'team-a', 'download');
      const r = api.requests.slice(before).find((x) => x.path.endsWith('/subjectaccessreviews'));
      expect(r?.body).toMatchObject({
        spec: {
          user: 'alice',
          groups: ['devs'],
          resourceAttributes: {
            verb: 'get',
            resource: 'coredumps',
            subresource: 'download',
            namespace: 'team-a',
          },
        },
      });
    });

    it('rejects an invalid review with 422 Invalid', async () => {
      const e = await apiError(
        kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
          body: { spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } },
        }),
      );
      expect(e.code).toBe(422);
      expect(statusBody(e).reason).toBe('Invalid');
    });
  });

  describe('pods', () => {
    beforeAll(() => {
      api.setPods([
        pod('default', 'a1', 'node-a', { labels: { app: 'x', tier: 'web' } }),
        pod('team-a', 'a2', 'node-a', {
          labels: { app: 'y' },
          containers: [
            {
              name: 'app',
              image: 'registry.example.com/team/app:2',
              containerID: `containerd://${hex64('a')}`,
              lastTerminatedContainerID: `containerd://${hex64('b')}`,
              restartCount: 3,
            },
          ],
          initContainers: [{ name: 'init', image: 'busybox' }],
          ephemeralContainers: [{ name: 'debugger', image: 'busybox' }],
          ownerReferences: [{ kind: 'ReplicaSet', name: 'a2-rs' }],
        }),
        pod('kube-system', 'etcd-node-b', 'node-b', {
          hostNetwork: true,
          staticHash: 'f00dfeedf00dfeedf00dfeedf00dfeed',
          ownerReferences: [{ kind: 'Node', name: 'node-b' }],
        }),
      ]);
    });

    it('lists with fieldSelector and labelSelector and carries a resourceVersion', async () => {
      const onA = await core.listPodForAllNamespaces({ fieldSelector: NODE_A_SELECTOR });
      expect(onA.items.map((p) => p.metadata?.name)).toEqual(['a1', 'a2']);
      expect(Number(onA.metadata?.resourceVersion)).toBeGreaterThan(0);
      const last = api.requests[api.requests.length - 1];
      expect(last).toMatchObject({
        method: 'GET',
        path: '/api/v1/pods',
        query: { fieldSelector: NODE_A_SELECTOR },
      });

      const ns = await core.listNamespacedPod({
        namespace: 'team-a',
        fieldSelector: 'metadata.name=a2',
      });
      expect(ns.items.map((p) => p.metadata?.name)).toEqual(['a2']);
      const web = await core.listPodForAllNamespaces({ labelSelector: 'app in (x,z),tier=web' });
      expect(web.items.map((p) => p.metadata?.name)).toEqual(['a1']);
      const notX = await core.listPodForAllNamespaces({ labelSelector: 'app,app!=x' });
      expect(notX.items.map((p) => p.metadata?.name)).toEqual(['a2']);
    });

    it('pages with limit/continue', async () => {
      const p1 = await core.listPodForAllNamespaces({ limit: 2 });
      expect(p1.items).toHaveLength(2);
      expect(p1.metadata?._continue).toBeTruthy();
      expect(p1.metadata?.remainingItemCount).toBe(1);
      const p2 = await core.listPodForAllNamespaces({
        limit: 2,
        _continue: p1.metadata?._continue,
      });
      // etcd key order: namespace, then name.
      expect(p1.items.map((p) => p.metadata?.name)).toEqual(['a1', 'etcd-node-b']);
      expect(p2.items.map((p) => p.metadata?.name)).toEqual(['a2']);
      expect(p2.metadata?._continue).toBeUndefined();
    });

    it('rejects an unsupported field selector with 400 BadRequest', async () => {
      const e = await apiError(core.listPodForAllNamespaces({ fieldSelector: 'spec.nope=1' }));
      expect(e.code).toBe(400);
      expect(statusBody(e)).toMatchObject({
        reason: 'BadRequest',
        message: 'field label not supported: spec.nope',
      });
    });

    it('gets one pod, realistic, or a 404 Status', async () => {
      const p = await core.readNamespacedPod({ namespace: 'team-a', name: 'a2' });
      expect(p.kind).toBe('Pod');
      expect(p.metadata?.creationTimestamp).toBeInstanceOf(Date);
      expect(p.metadata?.ownerReferences?.[0]).toMatchObject({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        controller: true,
      });
      const cs = p.status?.containerStatuses?.[0];
      expect(cs).toMatchObject({
        name: 'app',
        containerID: `containerd://${hex64('a')}`,
        image: 'registry.example.com/team/app:2',
        restartCount: 3,
        ready: true,
      });
      expect(cs?.imageID).toMatch(/^registry\.example\.com\/team\/app@sha256:[0-9a-f]{64}$/);
      expect(cs?.state?.running?.startedAt).toBeInstanceOf(Date);
      expect(cs?.lastState?.terminated).toMatchObject({
        exitCode: 139,
        reason: 'Error',
        containerID: `containerd://${hex64('b')}`,
      });
      expect(p.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({
        exitCode: 0,
        reason: 'Completed',
      });
      expect(p.status?.initContainerStatuses?.[0]?.containerID).toMatch(
        /^containerd:\/\/[0-9a-f]{64}$/,
      );
      expect(p.status?.ephemeralContainerStatuses?.[0]?.name).toBe('debugger');

      const mirror = await core.readNamespacedPod({
        namespace: 'kube-system',
        name: 'etcd-node-b',
      });
      expect(mirror.metadata?.annotations).toMatchObject({
        'kubernetes.io/config.hash': 'f00dfeedf00dfeedf00dfeedf00dfeed',
        'kubernetes.io/config.mirror': 'f00dfeedf00dfeedf00dfeedf00dfeed',
      });
      expect(mirror.spec?.hostNetwork).toBe(true);
      expect(mirror.status?.podIP).toBe(mirror.status?.hostIP);

      const e = await apiError(core.readNamespacedPod({ namespace: 'team-a', name: 'ghost' }));
      expect(e.code).toBe(404);
      expect(statusBody(e)).toMatchObject({
        reason: 'NotFound',
        message: 'pods "ghost" not found',
      });
    });

    it('answers unknown paths with a 404 Status', async () => {
      const r = await httpsRequest(`${api.url}/apis/nope.io/v1/things`, api.caCert, {
        headers: { Authorization: `Bearer ${SA_TOKEN}` },
      });
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toBe('application/json');
      expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    });

    it('authorizes requests made with a user token by the grants (403 Forbidden otherwise)', async () => {
      await api.writeKubeconfig(join(dir, 'alice'), { token: 'alice-token', user: 'alice' });
      const akc = new KubeConfig();
      akc.loadFromFile(join(dir, 'alice'));
      const acore = akc.makeApiClient(CoreV1Api);
      expect((await acore.listPodForAllNamespaces()).items.length).toBeGreaterThan(0);
      const e = await apiError(acore.readNamespacedPod({ namespace: 'team-a', name: 'a2' }));
      expect(e.code).toBe(403);
      expect(statusBody(e)).toMatchObject({
        reason: 'Forbidden',
        message:
          'pods "a2" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "team-a"',
      });
    });
  });

  describe('raw Watch', () => {
    it('streams changes after a resourceVersion, honours selectors, bookmarks and timeoutSeconds', async () => {
      api.setPods([pod('w', 'w1', 'node-a')]);
      const list = await core.listNamespacedPod({ namespace: 'w' });
      const rv = list.metadata!.resourceVersion!;
      api.upsertPod(pod('w', 'w2', 'node-a'));
      api.upsertPod(pod('w', 'other-node', 'node-b'));
      const events: { type: string; name?: string; rv?: string }[] = [];
      const ended = new Promise<unknown>((resolve) => {
        void new Watch(kc).watch(
          '/api/v1/namespaces/w/pods',
          {
            resourceVersion: rv,
            fieldSelector: NODE_A_SELECTOR,
            allowWatchBookmarks: true,
            timeoutSeconds: 1,
          },
          (type: string, obj: V1Pod) =>
            events.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion }),
          resolve,
        );
      });
      await waitFor('the watch', () => events.length > 0, { timeoutMs: 5000 });
      api.upsertPod(pod('w', 'w2', 'node-a')); // identical: a no-op, no event
      api.upsertPod(pod('w', 'w1', 'node-a', { labels: { changed: 'yes' } }));
      api.deletePod('w', 'w2');
      const start = Date.now();
      expect(await ended).toBeNull(); // clean end after timeoutSeconds
      expect(Date.now() - start).toBeLessThan(2500);
      const changes = events.filter((e) => e.type !== 'BOOKMARK');
      expect(changes.map((e) => `${e.type} ${e.name}`)).toEqual([
        'ADDED w2',
        'MODIFIED w1',
        'DELETED w2',
      ]);
      expect(events.some((e) => e.type === 'BOOKMARK')).toBe(true);
      const w = api.requests.find(
        (r) => r.path === '/api/v1/namespaces/w/pods' && r.query.watch === 'true',
      );
      expect(w?.query).toMatchObject({
        resourceVersion: rv,
        fieldSelector: NODE_A_SELECTOR,
        timeoutSeconds: '1',
      });
    });

    it('answers a too-old resourceVersion with an ERROR event (410 Expired) and closes', async () => {
      const rv = (await core.listNamespacedPod({ namespace: 'w' })).metadata!.resourceVersion!;
      api.expireResourceVersion();
      const events: { type: string; obj: { code?: number; reason?: string } }[] = [];
      const err = await new Promise<unknown>((resolve) => {
        void new Watch(kc).watch(
          '/api/v1/pods',
          { resourceVersion: rv },
          (type: string, obj: { code?: number; reason?: string }) => events.push({ type, obj }),
          resolve,
        );
      });
      expect(err).toBeNull();
      expect(events).toEqual([
        {
          type: 'ERROR',
          obj: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }),
        },
      ]);
      // The list's resourceVersion after the expiry is valid again.
      const fresh = (await core.listNamespacedPod({ namespace: 'w' })).metadata!.resourceVersion!;
      const types: string[] = [];
      const done = new Promise<unknown>((resolve) => {
        void new Watch(kc).watch(
          '/api/v1/pods',
          { resourceVersion: fresh, timeoutSeconds: 1 },
          (t: string) => types.push(t),
          resolve,
        );
      });
      expect(await done).toBeNull();
      expect(types).toEqual([]);
    });
  });

  describe('informer (makeInformer)', () => {
    let informer: ReturnType<typeof makeInformer<V1Pod>> | undefined;
    afterEach(async () => {
      await informer?.stop();
      informer = undefined;
      api.setDown(false);
    });

    it('sees add/update/delete for its node only, survives dropWatches() and relists after expireResourceVersion()', async () => {
      api.setPods([pod('default', 'a1', 'node-a'), pod('default', 'b1', 'node-b')]);
      const log: string[] = [];
      let connects = 0;
      const errors: unknown[] = [];
      // makeInformer() has no fieldSelector parameter (only labelSelector), and ListWatch only sends
      // its own fieldSelector argument on the watch: put the selector in the path so that BOTH the
      // list (below) and the watch requests carry it.
      informer = makeInformer<V1Pod>(
        kc,
        `/api/v1/pods?fieldSelector=${encodeURIComponent(NODE_A_SELECTOR)}`,
        () => core.listPodForAllNamespaces({ fieldSelector: NODE_A_SELECTOR }),
      );
      informer.on('add', (p) => log.push(`add ${p.metadata?.name}`));
      informer.on('update', (p) => log.push(`update ${p.metadata?.name}`));
      informer.on('delete', (p) => log.push(`delete ${p.metadata?.name}`));
      informer.on('connect', () => connects++);
      informer.on('error', (e) => errors.push(e));
      const inf = informer;
      const watchRequests = () =>
        api.requests.filter((r) => r.path === '/api/v1/pods' && r.query.watch === 'true');
      const listRequests = () =>
        api.requests.filter((r) => r.path === '/api/v1/pods' && !r.query.watch);
      const lists0 = listRequests().length;
      const watches0 = watchRequests().length;

      await inf.start();
      expect(inf.list().map((p) => p.metadata?.name)).toEqual(['a1']);
      await waitFor('the first watch', () => watchRequests().length > watches0, {
        timeoutMs: 5000,
      });
      expect(watchRequests().at(-1)!.query.fieldSelector).toBe(NODE_A_SELECTOR);

      api.upsertPod(pod('default', 'a2', 'node-a'));
      api.upsertPod(pod('default', 'b2', 'node-b')); // other node: invisible
      api.upsertPod(pod('default', 'a1', 'node-a', { labels: { v: '2' } }));
      await waitFor('add + update', () => log.length >= 2, { timeoutMs: 5000 });
      api.deletePod('default', 'a2');
      await waitFor('delete', () => log.includes('delete a2'), { timeoutMs: 5000 });
      expect(log).toEqual(['add a1', 'add a2', 'update a1', 'delete a2']);

      // A pod moving onto the node shows up as an add (selector transition), like the real cache.
      api.upsertPod(pod('default', 'b1', 'node-a'));
      await waitFor('b1 moved', () => inf.get('b1', 'default'), { timeoutMs: 5000 });

      // dropWatches(): clean end of the stream; the informer re-watches from its resourceVersion.
      const w1 = watchRequests().length;
      api.dropWatches();
      await waitFor('a re-watch', () => watchRequests().length > w1, { timeoutMs: 5000 });
      // Re-watch from the last seen resourceVersion (b1's move was the last change).
      expect(watchRequests().at(-1)!.query.resourceVersion).toBe(
        inf.get('b1', 'default')!.metadata!.resourceVersion,
      );
      expect(listRequests().length).toBe(lists0 + 1); // no relist
      api.upsertPod(pod('default', 'a3', 'node-a'));
      await waitFor('add after reconnect', () => log.includes('add a3'), { timeoutMs: 5000 });

      // expireResourceVersion() + a re-watch: ERROR 410 -> the informer relists.
      api.expireResourceVersion();
      api.dropWatches();
      await waitFor('a relist', () => listRequests().length > lists0 + 1, { timeoutMs: 5000 });
      api.upsertPod(pod('default', 'a4', 'node-a'));
      await waitFor('add after relist', () => log.includes('add a4'), { timeoutMs: 5000 });
      expect(
        inf
          .list()
          .map((p) => p.metadata?.name)
          .sort(),
      ).toEqual(['a1', 'a3', 'a4', 'b1']);
      expect(connects).toBeGreaterThanOrEqual(3);
      expect(errors).toEqual([]);
    }, 20_000);

    it('reports an unreachable API as an error and stops; start() recovers', async () => {
      api.setPods([pod('default', 'a1', 'node-a')]);
      informer = makeInformer<V1Pod>(
        kc,
        `/api/v1/pods?fieldSelector=${encodeURIComponent(NODE_A_SELECTOR)}`,
        () => core.listPodForAllNamespaces({ fieldSelector: NODE_A_SELECTOR }),
      );
      const inf = informer;
      const errors: unknown[] = [];
      inf.on('error', (e) => errors.push(e));
      await inf.start();
      expect(inf.list()).toHaveLength(1);
      await waitFor('the watch', () => api.requests.some((r) => r.query.watch === 'true'), {
        timeoutMs: 5000,
      });

      api.setDown(true);
      await waitFor('the informer error', () => errors.length > 0, { timeoutMs: 5000 });
      // undici aborts the streaming body: TypeError('terminated') caused by ECONNRESET.
      const e = errors[0] as Error & { cause?: { code?: string } };
      expect(e).toBeInstanceOf(TypeError);
      expect(e.message).toBe('terminated');
      expect(e.cause?.code).toBe('ECONNRESET');
      const attempts = api.requests.length;
      await new Promise((r) => setTimeout(r, 300));
      expect(api.requests.length).toBe(attempts); // it does not retry by itself

      api.setDown(false);
      api.upsertPod(pod('default', 'a5', 'node-a'));
      await inf.start();
      await waitFor('a5 after restart', () => inf.get('a5', 'default'), { timeoutMs: 5000 });
    }, 20_000);
  });

  describe('dropWatches({ abrupt: true })', () => {
    it('resets the watch connections: the informer reports an error instead of re-watching', async () => {
      api.setPods([pod('default', 'a1', 'node-a')]);
      const inf = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
      const errors: unknown[] = [];
      inf.on('error', (e) => errors.push(e));
      const watches = () => api.requests.filter((r) => r.query.watch === 'true').length;
      const w0 = watches();
      await inf.start();
      await waitFor('the watch', () => watches() > w0, { timeoutMs: 5000 });
      api.dropWatches({ abrupt: true });
      await waitFor('the informer error', () => errors.length > 0, { timeoutMs: 5000 });
      await inf.stop();
      expect(watches()).toBe(w0 + 1);
    });
  });

  describe('setDown()', () => {
    afterEach(() => api.setDown(false));

    it('makes calls fail fast with a connection error instead of hanging', async () => {
      api.setDown(true);
      const start = Date.now();
      const err = await core.listPodForAllNamespaces().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - start).toBeLessThan(2000);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as TypeError).message).toBe('fetch failed');
      expect(err).not.toBeInstanceOf(ApiException);
      expect((err as TypeError & { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');
      const tr = await kc
        .makeApiClient(AuthenticationV1Api)
        .createTokenReview({ body: { spec: { token: 'alice-token' } } })
        .then(
          () => 'ok',
          () => 'failed',
        );
      expect(tr).toBe('failed');
      api.setDown(false);
      expect((await core.listPodForAllNamespaces()).kind).toBe('PodList');
    });

    it('adds latency with setLatency()', async () => {
      api.setLatency(300);
      const start = Date.now();
      await core.listPodForAllNamespaces();
      api.setLatency(0);
      expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    });
  });

  describe('in-cluster configuration (loadFromCluster)', () => {
    const saved = {
      host: process.env.KUBERNETES_SERVICE_HOST,
      port: process.env.KUBERNETES_SERVICE_PORT,
    };
    afterAll(() => {
      for (const [k, v] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    it('uses the service account files and env', async () => {
      const prefix = join(dir, 'incluster');
      const { env } = await api.writeInClusterFiles(prefix, { namespace: 'koredump' });
      Object.assign(process.env, env);
      const ikc = new KubeConfig();
      ikc.loadFromCluster(prefix);
      expect(ikc.getCurrentCluster()?.server).toBe(api.url);
      expect(ikc.getContextObject(ikc.getCurrentContext())?.namespace).toBe('koredump');

      api.setPods([pod('default', 'a1', 'node-a')]);
      const before = api.requests.length;
      const pods = await ikc
        .makeApiClient(CoreV1Api)
        .listPodForAllNamespaces({ fieldSelector: NODE_A_SELECTOR });
      expect(pods.items).toHaveLength(1);
      expect(api.requests[before].headers.authorization).toBe(`Bearer ${SA_TOKEN}`);
      const tr = await ikc
        .makeApiClient(AuthenticationV1Api)
        .createTokenReview({ body: { spec: { token: 'alice-token' } } });
      expect(tr.status?.user?.username).toBe('alice');
    });
  });

  describe('events', () => {
    it('stores created and patched events', async () => {
      const involvedObject = {
        kind: 'Pod',
        namespace: 'team-a',
        name: 'a2',
        uid: 'uid-team-a-a2',
        apiVersion: 'v1',
      };
      const now = new Date();
      const created: CoreV1Event = await core.createNamespacedEvent({
        namespace: 'team-a',
        body: {
          metadata: { generateName: 'a2.' },
          involvedObject,
          reason: 'CoreDumped',
          message: 'app crashed with SIGSEGV',
          type: 'Warning',
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: 'koredump' },
        },
      });
      expect(created.metadata?.name).toMatch(/^a2\./);
      expect(created.metadata?.resourceVersion).toBeTruthy();
      const name = created.metadata.name!;

      // client-node 2.0.1 sends PATCH bodies as application/json-patch+json by default.
      await core.patchNamespacedEvent({
        namespace: 'team-a',
        name,
        body: [{ op: 'replace', path: '/count', value: 2 }],
      });
      await core.patchNamespacedEvent(
        {
          namespace: 'team-a',
          name,
          body: { lastTimestamp: new Date(now.getTime() + 5000), message: 'again' },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const stored = api.events().filter((e) => e.involvedObject.uid === 'uid-team-a-a2');
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        kind: 'Event',
        reason: 'CoreDumped',
        count: 2,
        message: 'again',
        type: 'Warning',
      });
      expect(stored[0].lastTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const list = await core.listNamespacedEvent({
        namespace: 'team-a',
        fieldSelector: 'involvedObject.uid=uid-team-a-a2',
      });
      expect(list.items.map((e) => e.metadata?.name)).toEqual([name]);
      const e = await apiError(
        core.patchNamespacedEvent({ namespace: 'team-a', name: 'missing', body: [] }),
      );
      expect(e.code).toBe(404);
    });

    it('answers a duplicate name with 409 AlreadyExists, merges annotations, selects by uid and reason, validates namespaces', async () => {
      const involvedObject = {
        kind: 'Pod',
        namespace: 'team-a',
        name: 'a3',
        uid: 'uid-team-a-a3',
        apiVersion: 'v1',
      };
      const at = new Date('2026-11-28T12:00:00.250Z');
      const body: CoreV1Event = {
        metadata: { name: 'a3.0123456789abcdef', annotations: { 'koredump.io/last-core': 'c1' } },
        involvedObject,
        reason: 'CoreDumped',
        type: 'Warning',
        message: 'first',
        count: 1,
        firstTimestamp: at,
        lastTimestamp: at,
        reportingComponent: 'koredump-collector',
        reportingInstance: 'node-a',
      };
      await core.createNamespacedEvent({ namespace: 'team-a', body });
      const dup = await apiError(core.createNamespacedEvent({ namespace: 'team-a', body }));
      expect(dup.code).toBe(409);
      expect(JSON.parse(dup.body)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'events "a3.0123456789abcdef" already exists',
        reason: 'AlreadyExists',
        details: { name: 'a3.0123456789abcdef', kind: 'events' },
        code: 409,
      });

      await core.patchNamespacedEvent(
        {
          namespace: 'team-a',
          name: 'a3.0123456789abcdef',
          body: {
            metadata: { annotations: { 'koredump.io/last-core': 'c2' } },
            count: 2,
            lastTimestamp: new Date(at.getTime() + 90_000),
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const read = await core.readNamespacedEvent({
        namespace: 'team-a',
        name: 'a3.0123456789abcdef',
      });
      expect(read.count).toBe(2);
      expect(read.message).toBe('first');
      expect(read.metadata.annotations).toEqual({ 'koredump.io/last-core': 'c2' });
      // Second precision on the wire.
      expect(read.firstTimestamp).toEqual(new Date('2026-11-28T12:00:00Z'));
      expect(read.lastTimestamp).toEqual(new Date('2026-11-28T12:01:30Z'));

      await core.createNamespacedEvent({
        namespace: 'team-a',
        body: { ...body, metadata: { name: 'a3.other' }, reason: 'BackOff' },
      });
      const selected = await core.listNamespacedEvent({
        namespace: 'team-a',
        fieldSelector: 'involvedObject.uid=uid-team-a-a3,reason=CoreDumped',
      });
      expect(selected.items.map((e) => e.metadata.name)).toEqual(['a3.0123456789abcdef']);
      const byComponent = await core.listEventForAllNamespaces({
        fieldSelector: 'reportingComponent=koredump-collector,involvedObject.name=a3',
      });
      expect(byComponent.items.map((e) => e.metadata.name).sort()).toEqual([
        'a3.0123456789abcdef',
        'a3.other',
      ]);

      const elsewhere = await apiError(
        core.createNamespacedEvent({
          namespace: 'team-b',
          body: { ...body, metadata: { name: 'a3.wrong-namespace' } },
        }),
      );
      expect(elsewhere.code).toBe(422);
      expect(statusBody(elsewhere)).toMatchObject({
        reason: 'Invalid',
        message: expect.stringContaining('does not match event.namespace') as unknown as string,
      });
    });

    it('refuses the service account what denyServiceAccount() takes away (403 Forbidden Status)', async () => {
      api.denyServiceAccount([{ verbs: ['create'], apiGroups: [''], resources: ['events'] }]);
      try {
        const e = await apiError(
          core.createNamespacedEvent({
            namespace: 'team-a',
            body: {
              metadata: { name: 'a4.denied' },
              involvedObject: { kind: 'Pod', namespace: 'team-a', name: 'a4' },
              reason: 'CoreDumped',
            },
          }),
        );
        expect(e.code).toBe(403);
        expect(statusBody(e)).toMatchObject({
          reason: 'Forbidden',
          message: `events is forbidden: User "${SERVICE_ACCOUNT_USER}" cannot create resource "events" in API group "" in the namespace "team-a"`,
        });
        // Only what the rule names: listing still works.
        await expect(core.listNamespacedEvent({ namespace: 'team-a' })).resolves.toBeDefined();
      } finally {
        api.denyServiceAccount([]);
      }
      await core.createNamespacedEvent({
        namespace: 'team-a',
        body: {
          metadata: { name: 'a4.allowed' },
          involvedObject: { kind: 'Pod', namespace: 'team-a', name: 'a4' },
          reason: 'CoreDumped',
        },
      });
    });
  });

  describe('service proxy', () => {
    let target: http.Server;
    let release: () => void = () => undefined;
    const seen: {
      method?: string;
      url?: string;
      headers: http.IncomingHttpHeaders;
      body: string;
    }[] = [];

    beforeAll(async () => {
      target = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          seen.push({
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: Buffer.concat(chunks).toString(),
          });
          if (req.url?.startsWith('/stream')) {
            res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'X-Core': 'yes' });
            res.write('first-chunk;');
            const done = new Promise<void>((r) => (release = r));
            void done.then(() => res.end('second-chunk'));
            return;
          }
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ ok: true, url: req.url }));
        });
      });
      await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
      const port = (target.address() as AddressInfo).port;
      api.registerServiceProxy('koredump', 'koredump-api', 8080, `http://127.0.0.1:${port}`);
      api.grant('alice', {
        verbs: ['get', 'create'],
        apiGroups: [''],
        resources: ['services/proxy'],
        namespaces: ['koredump'],
      });
    });
    afterAll(async () => {
      release();
      target.closeAllConnections();
      await new Promise((r) => target.close(r));
    });

    it('forwards through client-node without the Authorization header', async () => {
      const out = await core.connectGetNamespacedServiceProxyWithPath({
        namespace: 'koredump',
        name: 'koredump-api:8080',
        path: 'apiv1/cores',
        path2: 'ignored',
      });
      // Typed as string, but client-node parses a JSON response body into an object.
      expect(out as unknown).toEqual({ ok: true, url: '/apiv1/cores?path=ignored' });
      const last = seen.at(-1)!;
      expect(last.url).toBe('/apiv1/cores?path=ignored');
      expect(last.headers.authorization).toBeUndefined();
    });

    it('keeps other headers, the query string and the bodies, streaming the response', async () => {
      const url = `${api.url}/api/v1/namespaces/koredump/services/koredump-api:8080/proxy/stream/core?node=a&x=1`;
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = https.request(
          url,
          {
            method: 'POST',
            ca: api.caCert,
            headers: {
              Authorization: 'Bearer alice-token',
              'X-Koredump-Authorization': 'Bearer alice-token',
              'Content-Type': 'text/plain',
            },
          },
          resolve,
        );
        req.on('error', reject);
        req.end('request-body');
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-core']).toBe('yes');
      const chunks: string[] = [];
      await new Promise<void>((resolve) => {
        res.on('data', (c: Buffer) => {
          chunks.push(c.toString());
          if (chunks.length === 1) {
            // The first chunk arrived while the target still holds the rest: it is streamed.
            expect(chunks[0]).toBe('first-chunk;');
            release();
          }
        });
        res.on('end', resolve);
      });
      expect(chunks.join('')).toBe('first-chunk;second-chunk');
      const last = seen.at(-1)!;
      expect(last).toMatchObject({
        method: 'POST',
        url: '/stream/core?node=a&x=1',
        body: 'request-body',
      });
      expect(last.headers.authorization).toBeUndefined();
      expect(last.headers['x-koredump-authorization']).toBe('Bearer alice-token');
      expect(last.headers['content-type']).toBe('text/plain');
    });

    it('authorizes user tokens (get services/proxy) and reports unknown services', async () => {
      await api.writeKubeconfig(join(dir, 'alice'), { token: 'alice-token', user: 'alice' });
      api.addToken('dave-token', { username: 'dave', groups: ['system:authenticated'] });
      const r = (token: string, path: string) =>
        httpsRequest(`${api.url}/api/v1/namespaces/${path}`, api.caCert, {
          headers: { Authorization: `Bearer ${token}` },
        });
      expect((await r('alice-token', 'koredump/services/koredump-api:8080/proxy/x')).status).toBe(
        200,
      );
      const denied = await r('dave-token', 'koredump/services/koredump-api:8080/proxy/x');
      expect(denied.status).toBe(403);
      expect(JSON.parse(denied.body)).toMatchObject({ reason: 'Forbidden' });
      expect((await r('expired-token', 'koredump/services/koredump-api:8080/proxy/x')).status).toBe(
        401,
      );
      const missing = await r(SA_TOKEN, 'koredump/services/nope:80/proxy/x');
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.body)).toMatchObject({
        reason: 'NotFound',
        message: 'services "nope" not found',
      });
    });
  });
});
