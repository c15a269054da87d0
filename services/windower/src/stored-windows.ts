import type { StreamConfig } from '@turbostream/config';
import { type Window, windowJobId } from '@turbostream/contracts';
import type { AnalysisProducer } from '@turbostream/queue';
import type { SealedWindow } from './window-cutter.js';

/** A window cut again whose id already has a stored job holding a different window. */
export interface DivergedWindow {
  /** Its index among the windows checked. */
  index: number;
  /** The window the stored job holds. */
  stored: Window;
}

/** The window a stored job of this window id holds, if one is stored (any target). */
async function storedWindow(
  queues: AnalysisProducer,
  stream: StreamConfig,
  windowId: string,
): Promise<Window | undefined> {
  const jobs = await Promise.all(
    stream.targets.map((target) => queues.storedJob(target.provider, windowJobId(stream.id, windowId, target))),
  );
  return jobs.find((job) => job !== undefined)?.window;
}

/**
 * The first of `sealed` whose window id already has a stored job that holds
 * a different window, with that window. Such a job was cut from entries Redis
 * has since lost, and stored after the loss (an add in flight when Redis went
 * down, re-sent on reconnecting): the entries of the window that Redis still
 * holds are a prefix of it, so it stands, and windowing goes on after it.
 * Two cuts that end at the same entry hold the same entries.
 */
export async function findDivergedWindow(
  queues: AnalysisProducer,
  stream: StreamConfig,
  sealed: readonly SealedWindow[],
): Promise<DivergedWindow | undefined> {
  const stored = await Promise.all(sealed.map(({ window }) => storedWindow(queues, stream, window.windowId)));
  const index = stored.findIndex(
    (window, at) => window !== undefined && window.lastEntryId !== sealed[at]?.window.lastEntryId,
  );
  const window = stored[index];
  return window ? { index, stored: window } : undefined;
}
