import 'reflect-metadata';

import { Logger } from '@nestjs/common';

import { ConfigError, loadCollectorConfig } from './collector.config.js';
import { createCollectorApp, listen } from './bootstrap.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadCollectorConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`koredump node-collector: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await createCollectorApp(config);
  await listen(app, config.port, config.host);
  new Logger('Main').log(
    `node-collector for node ${config.nodeName} on http://${config.host}:${config.port} (cores: ${config.coreDir}, auth: ${config.authDisabled ? 'OFF (NO_TOKENS=1)' : 'on'})`,
  );
}

void main();
