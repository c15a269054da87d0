export * from './built-in/index.js';
export * from './compare.js';
export * from './corpus.js';
export * from './corpus-file.js';
export * from './format-score.js';
export * from './problems.js';
export * from './random.js';
export * from './score.js';
