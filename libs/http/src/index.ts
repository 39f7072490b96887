export * from './all-exceptions.filter.js';
export * from './api-error.js';
export * from './byte-range.js';
export * from './http-app.js';
export * from './openapi.js';
export * from './public.decorator.js';
export * from './server-env.js';
export * from './sse-stream.js';
