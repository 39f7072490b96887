export * from './signals.js';
export * from './timestamps.js';
export * from './parse-journal-json.js';
export * from './journalctl.js';
