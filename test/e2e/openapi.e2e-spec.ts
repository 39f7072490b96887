import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { collectorOpenApi, createCollectorApp } from '../../apps/node-collector/src/bootstrap.js';
import { loadCollectorConfig } from '../../apps/node-collector/src/collector.config.js';
import { startCollector } from '../support/collector.js';

const CHECKED_IN = join(__dirname, '../../openapi/node-collector.json');

describe('node-collector OpenAPI contract', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createCollectorApp(
      loadCollectorConfig({
        FAKE_K8S: '1',
        KOREDUMP_COREDUMP_DIR: '/nonexistent',
        KOREDUMP_NODE_NAME: 'openapi',
      }),
      ['error'],
    );
  });
  afterAll(() => app.close());

  it('matches the checked-in openapi/node-collector.json (run `npm run openapi` after API changes)', () => {
    const generated = JSON.parse(JSON.stringify(collectorOpenApi(app)));
    expect(generated).toEqual(JSON.parse(readFileSync(CHECKED_IN, 'utf8')));
  });

  it('is what the running collector serves at /openapi.json', async () => {
    const running = await startCollector({ coreDir: '/nonexistent', nodeName: 'openapi' });
    try {
      const served = (await (await fetch(`${running.url}/openapi.json`)).json()) as unknown;
      expect(served).toEqual(JSON.parse(readFileSync(CHECKED_IN, 'utf8')));
    } finally {
      await running.close();
    }
  });

  it('is a valid OpenAPI document documenting every route, its errors and the bearer scheme', async () => {
    const doc = JSON.parse(readFileSync(CHECKED_IN, 'utf8'));
    await SwaggerParser.validate(structuredClone(doc));
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/apiv1/cores',
      '/apiv1/cores/download/{id}',
      '/apiv1/cores/metadata/{id}',
      '/apiv1/cores/watch',
      '/apiv1/crashgroups',
      '/apiv1/node',
      '/healthz',
      '/readyz',
    ]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const path of [
      '/apiv1/cores',
      '/apiv1/cores/download/{id}',
      '/apiv1/cores/metadata/{id}',
      '/apiv1/cores/watch',
      '/apiv1/crashgroups',
    ]) {
      const op = doc.paths[path].get;
      expect(op.security).toEqual([{ bearer: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
    }
    expect(Object.keys(doc.paths['/apiv1/cores/download/{id}'].get.responses)).toEqual(
      expect.arrayContaining(['206', '304', '404', '416']),
    );
    const watch = doc.paths['/apiv1/cores/watch'].get as {
      responses: Record<string, { content: object }>;
      parameters: { name: string }[];
    };
    expect(Object.keys(watch.responses['200'].content)).toEqual(['text/event-stream']);
    expect(watch.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(['initial', 'Last-Event-ID', 'namespace']),
    );
    expect(doc.components.schemas.CoreSummaryDto.properties).toHaveProperty('COREDUMP_SIGNAL_NAME');
    const node = doc.paths['/apiv1/node'].get;
    expect(node.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(node.responses)).toEqual(expect.arrayContaining(['200', '401', '403']));
    expect(doc.components.schemas.NodeHealthDto.required).toEqual(
      expect.arrayContaining(['kernel', 'coredumpConf', 'storage', 'journal', 'warnings']),
    );
    expect(doc.components.schemas.CoreSummaryDto.properties).toHaveProperty('signature');
    expect(doc.components.schemas.CoreRecordDto.properties).toHaveProperty('stacktrace');
    expect(doc.components.schemas.CrashGroupDto.required).toEqual(
      expect.arrayContaining(['signature', 'count', 'firstSeen', 'lastSeen', 'examples']),
    );
  });
});
