export * from './analysis-queue.js';
export * from './producer.js';
export * from './read-jobs.js';
export * from './consumer.js';
export * from './provider-gate.js';
