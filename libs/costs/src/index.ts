export * from './cost.js';
export * from './price-book.js';
export * from './price-table.js';
export * from './budget-ledger.js';
export * from './estimate-tokens.js';
export * from './price-file.js';
export * from './price-watch.js';
