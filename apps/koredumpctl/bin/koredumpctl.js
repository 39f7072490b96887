#!/usr/bin/env node
// Launcher of the bundled koredumpctl (dist/koredumpctl.cjs, made by `npm run build:cli`), for the
// npm package's `bin`. Installed as `kubectl-koredump`, it is also a kubectl plugin
// (`kubectl koredump …`); the CLI names itself after the file it was started as.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '../../../dist/koredumpctl.cjs');
if (!existsSync(bundle)) {
  process.stderr.write(
    `koredumpctl is not built: run \`npm run build:cli\` in ${join(__dirname, '../../..')}\n`,
  );
  process.exit(1);
}
require(bundle);
