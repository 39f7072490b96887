// Writes openapi/node-collector.json from the built app (npm run build first).
// The drift test (test/e2e/openapi.e2e-spec.ts) fails when the checked-in file is out of date.
require('reflect-metadata');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  createCollectorApp,
  collectorOpenApi,
} = require('../dist/apps/node-collector/src/bootstrap.js');
const { loadCollectorConfig } = require('../dist/apps/node-collector/src/collector.config.js');

async function main() {
  const config = loadCollectorConfig({
    FAKE_K8S: '1',
    KOREDUMP_COREDUMP_DIR: '/nonexistent',
    KOREDUMP_NODE_NAME: 'openapi',
  });
  const app = await createCollectorApp(config, ['error']);
  const doc = collectorOpenApi(app);
  mkdirSync(join(__dirname, '../openapi'), { recursive: true });
  writeFileSync(
    join(__dirname, '../openapi/node-collector.json'),
    JSON.stringify(doc, null, 2) + '\n',
  );
  await app.close();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
