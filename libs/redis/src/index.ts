export * from './alert-publisher.js';
export * from './connection.js';
export * from './event-publisher.js';
export * from './keys.js';
export * from './lease.js';
export * from './analyzer-presence.js';
export * from './stream-targets.js';
