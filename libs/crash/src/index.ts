/** Stack traces of coredump journal messages, crash signatures and crash groups (pure). */
export * from './stack-trace.js';
export * from './signature.js';
export * from './crash-groups.js';
