export * from './auth.guard.js';
export * from './bearer-token.js';
export * from './token-reviewer.js';
