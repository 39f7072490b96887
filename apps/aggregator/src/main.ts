import 'reflect-metadata';

import { Logger } from '@nestjs/common';

import { ConfigError, loadAggregatorConfig } from './aggregator.config.js';
import { createAggregatorApp, listen } from './bootstrap.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAggregatorConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`koredump aggregator: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await createAggregatorApp(config);
  await listen(app, config.port, config.host);
  const collectors = config.collectors
    ? `static: ${config.collectors.map((c) => `${c.node}=${c.url}`).join(', ')}`
    : `pods with labels ${config.collectorSelector} in ${config.collectorNamespace ?? 'all namespaces'}, port ${config.daemonsetPort}`;
  new Logger('Main').log(
    `aggregator on http://${config.host}:${config.port} (collectors: ${collectors}; node deadline ${config.nodeTimeoutMs} ms; auth: ${config.authDisabled ? 'OFF (NO_TOKENS=1)' : 'on'})`,
  );
}

void main();
