export * from './cgroup.js';
export * from './cmdline.js';
export * from './conmon.js';
export * from './pod-index.js';
export * from './pod-logs.js';
export * from './attribute.js';
export * from './quantity.js';
