// estimate-tokens.ts is the subpath `@turbostream/costs/estimate-tokens`: its tokenizers take ~200 ms to load, which
// only the analyzer needs (the CLI and the windower import this index).
export * from './cost.js';
export * from './price-book.js';
export * from './price-table.js';
export * from './budget-ledger.js';
export * from './price-file.js';
export * from './price-watch.js';
