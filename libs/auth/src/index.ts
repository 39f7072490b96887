export * from './app-providers.js';
export * from './auth.guard.js';
export * from './bearer-token.js';
export * from './caller.js';
export * from './decision-cache.js';
export * from './token-reviewer.js';
