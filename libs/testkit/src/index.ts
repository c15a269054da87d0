export * from './fake-anthropic.js';
export * from './fake-gemini.js';
export * from './fake-mistral.js';
export * from './fake-openai.js';
export * from './free-port.js';
export * from './redis-server.js';
export * from './wait-for.js';
export * from './redis-cluster.js';
