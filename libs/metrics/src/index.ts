export * from './metric-table.js';
export * from './parse-text.js';
export * from './turbo-metrics.js';
