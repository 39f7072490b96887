/** The REST contract shared by the node-collector, the aggregator and koredumpctl. */
export * from './core.dto.js';
export * from './list-cores.query.js';
export * from './node-health.dto.js';
export * from './crash.dto.js';
export * from './watch.js';
