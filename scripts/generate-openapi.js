// Writes openapi/node-collector.json from the built app (npm run build first).
// The drift test (test/e2e/openapi.e2e-spec.ts) fails when the checked-in file is out of date.
require('reflect-metadata');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const {
  createCollectorApp,
  collectorOpenApi,
} = require('../dist/apps/node-collector/src/bootstrap.js');

async function main() {
  const app = await createCollectorApp(
    {
      port: 0,
      host: '127.0.0.1',
      coreDir: '/nonexistent',
      nodeName: 'openapi',
      authDisabled: false,
      fakeK8s: true,
      rescanIntervalMs: 60000,
      logFormat: 'text',
    },
    ['error'],
  );
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
