export * from './label-limit.js';
export * from './metrics-registry.js';
export * from './metrics.controller.js';
export * from './metrics.module.js';
