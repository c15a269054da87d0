export * from './analysis-queue.js';
