export * from './cost.js';
export * from './price-book.js';
export * from './price-table.js';
