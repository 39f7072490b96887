export * from './access-review.js';
export * from './cluster-auth.js';
export * from './crash-events.js';
export * from './crash-events-client.js';
export * from './kube-config.js';
export * from './pod-watcher.js';
export * from './token-review.js';
