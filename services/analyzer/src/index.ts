export * from './analyzer.js';
export * from './build-alerts.js';
export * from './main.js';
export * from './window-job-processor.js';
