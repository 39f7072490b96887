import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { aggregatorOpenApi, createAggregatorApp } from '../../apps/aggregator/src/bootstrap.js';
import { loadAggregatorConfig } from '../../apps/aggregator/src/aggregator.config.js';
import { spawnBuiltAggregator } from '../support/aggregator.js';

const CHECKED_IN = join(__dirname, '../../openapi/aggregator.json');
const COLLECTOR = join(__dirname, '../../openapi/node-collector.json');

type Doc = {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] } & Op>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
type Op = { security?: unknown; responses: Record<string, unknown> };

const readDoc = (file: string): Doc => JSON.parse(readFileSync(file, 'utf8')) as Doc;
/** The parameters of GET `path`, by name. */
const paramsOf = (d: Doc, path: string) =>
  Object.fromEntries((d.paths[path].get.parameters ?? []).map((p) => [p.name, p]));

describe('aggregator OpenAPI contract', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createAggregatorApp(
      loadAggregatorConfig({ FAKE_K8S: '1', KOREDUMP_COLLECTORS: 'openapi=http://127.0.0.1:5001' }),
      ['error'],
    );
  });
  afterAll(() => app.close());

  it('matches the checked-in openapi/aggregator.json (run `npm run openapi` after API changes)', () => {
    const generated = JSON.parse(JSON.stringify(aggregatorOpenApi(app)));
    expect(generated).toEqual(JSON.parse(readFileSync(CHECKED_IN, 'utf8')));
  });

  it('is what the running (built) aggregator serves at /openapi.json', async () => {
    const running = await spawnBuiltAggregator(
      { KOREDUMP_COLLECTORS: 'openapi=http://127.0.0.1:5001' },
      { waitReady: false },
    );
    try {
      const served = (await (await fetch(`${running.url}/openapi.json`)).json()) as unknown;
      expect(served).toEqual(JSON.parse(readFileSync(CHECKED_IN, 'utf8')));
    } finally {
      await running.stop();
    }
  });

  it('is a valid OpenAPI document documenting every route, its errors and the bearer scheme', async () => {
    const doc = readDoc(CHECKED_IN);
    await SwaggerParser.validate(structuredClone(doc) as never);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/apiv1/cores',
      '/apiv1/cores/download/{node}/{id}',
      '/apiv1/cores/metadata/{node}/{id}',
      '/apiv1/cores/watch',
      '/apiv1/crashgroups',
      '/apiv1/nodes',
      '/healthz',
      '/readyz',
    ]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const path of [
      '/apiv1/cores',
      '/apiv1/cores/download/{node}/{id}',
      '/apiv1/cores/metadata/{node}/{id}',
      '/apiv1/cores/watch',
      '/apiv1/crashgroups',
      '/apiv1/nodes',
    ]) {
      const op = doc.paths[path].get;
      expect(op.security).toEqual([{ bearer: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '401', '503']));
    }
    for (const path of ['/apiv1/cores/download/{node}/{id}', '/apiv1/cores/metadata/{node}/{id}']) {
      expect(Object.keys(doc.paths[path].get.responses)).toEqual(
        expect.arrayContaining(['400', '403', '404', '502', '504']),
      );
    }
    expect(Object.keys(doc.paths['/apiv1/cores/download/{node}/{id}'].get.responses)).toEqual(
      expect.arrayContaining(['206', '304', '416']),
    );
    expect(doc.paths['/healthz'].get.security).toBeUndefined();
  });

  it('accepts every watch parameter of the collector, with the same schema, plus node', () => {
    const doc = readDoc(CHECKED_IN);
    const collector = readDoc(COLLECTOR);
    const ours = paramsOf(doc, '/apiv1/cores/watch');
    const theirs = paramsOf(collector, '/apiv1/cores/watch');
    for (const [name, p] of Object.entries(theirs)) expect(ours[name]).toEqual(p);
    expect(Object.keys(ours).sort()).toEqual([...Object.keys(theirs), 'node'].sort());
    const ok = doc.paths['/apiv1/cores/watch'].get.responses['200'] as { content: object };
    expect(Object.keys(ok.content)).toEqual(['text/event-stream']);
  });

  it('accepts every list parameter of the collector, with the same schema, plus node and cursor', () => {
    const doc = readDoc(CHECKED_IN);
    const collector = readDoc(COLLECTOR);
    const ours = paramsOf(doc, '/apiv1/cores');
    const theirs = paramsOf(collector, '/apiv1/cores');
    for (const [name, p] of Object.entries(theirs)) expect(ours[name]).toEqual(p);
    expect(Object.keys(ours).sort()).toEqual([...Object.keys(theirs), 'cursor', 'node'].sort());
    // Records are the collector's, unchanged.
    expect(doc.components.schemas.CoreSummaryDto).toEqual(
      collector.components.schemas.CoreSummaryDto,
    );
    // Crash groups: the collector's parameters plus node; the group schema is the collector's.
    const ourGroups = paramsOf(doc, '/apiv1/crashgroups');
    const theirGroups = paramsOf(collector, '/apiv1/crashgroups');
    for (const [name, p] of Object.entries(theirGroups)) expect(ourGroups[name]).toEqual(p);
    expect(Object.keys(ourGroups).sort()).toEqual([...Object.keys(theirGroups), 'node'].sort());
    expect(doc.components.schemas.CrashGroupDto).toEqual(
      collector.components.schemas.CrashGroupDto,
    );
  });
});
