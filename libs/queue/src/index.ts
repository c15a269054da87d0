export * from './analysis-queue.js';
export * from './producer.js';
export * from './read-jobs.js';
