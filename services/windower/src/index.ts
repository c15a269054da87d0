export { type CheckpointState, readCheckpoint } from './checkpoint.js';
export { startWindower } from './main.js';
export { type CutterEntry, type InvalidEntry, parseStreamEntry } from './stream-entry.js';
export { readStreamLag, type StreamLag, type StreamWindowerStats } from './stream-windower.js';
export { type CutInput, type CutResult, cutWindows, type OpenWindow, type SealedWindow } from './window-cutter.js';
export { type WindowJobSpec, windowJobs } from './window-jobs.js';
export { Windower, type WindowerOptions, type WindowerStats, type WindowerUpdate } from './windower.js';
