export * from './built-in/index.js';
export * from './corpus.js';
