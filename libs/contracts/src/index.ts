export * from './alert.js';
export * from './dead-letter.js';
export * from './ids.js';
export * from './ops-event.js';
export * from './stream-control.js';
export * from './stream-entry.js';
export * from './target.js';
export * from './window-job.js';
