export * from './logger.js';
export * from './terminal-text.js';
