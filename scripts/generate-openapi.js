// Writes openapi/node-collector.json and openapi/aggregator.json from the built apps
// (npm run build first). The drift tests (test/e2e/openapi.e2e-spec.ts and
// test/e2e/aggregator-openapi.e2e-spec.ts) fail when a checked-in file is out of date.
require('reflect-metadata');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  createCollectorApp,
  collectorOpenApi,
} = require('../dist/apps/node-collector/src/bootstrap.js');
const { loadCollectorConfig } = require('../dist/apps/node-collector/src/collector.config.js');
const {
  createAggregatorApp,
  aggregatorOpenApi,
} = require('../dist/apps/aggregator/src/bootstrap.js');
const { loadAggregatorConfig } = require('../dist/apps/aggregator/src/aggregator.config.js');

function write(name, doc) {
  mkdirSync(join(__dirname, '../openapi'), { recursive: true });
  writeFileSync(join(__dirname, `../openapi/${name}`), JSON.stringify(doc, null, 2) + '\n');
}

async function main() {
  const collector = await createCollectorApp(
    loadCollectorConfig({
      FAKE_K8S: '1',
      KOREDUMP_COREDUMP_DIR: '/nonexistent',
      KOREDUMP_NODE_NAME: 'openapi',
    }),
    ['error'],
  );
  write('node-collector.json', collectorOpenApi(collector));
  await collector.close();

  const aggregator = await createAggregatorApp(
    loadAggregatorConfig({ FAKE_K8S: '1', KOREDUMP_COLLECTORS: 'openapi=http://127.0.0.1:5001' }),
    ['error'],
  );
  write('aggregator.json', aggregatorOpenApi(aggregator));
  await aggregator.close();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
