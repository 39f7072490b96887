export * from './core-directory.js';
export * from './core-file-name.js';
export * from './decompress.js';
export * from './open-core.js';
export * from './stream-file.js';
export * from './xattrs.js';
export * from './zstd-copy.js';
