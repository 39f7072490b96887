export * from './sse.js';
