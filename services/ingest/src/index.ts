export { type BackoffOptions, backoffCeiling, backoffDelay } from './backoff.js';
export { classifyFrame, type FrameRules, type FrameVerdict } from './frame-classifier.js';
export { Ingest, type IngestOptions, type IngestSource, type IngestUpdate } from './ingest.js';
export { ingestSources, startIngest } from './main.js';
export type { SourceIngestStats } from './source-ingest.js';
