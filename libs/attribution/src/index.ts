export * from './cgroup.js';
export * from './cmdline.js';
export * from './conmon.js';
