/** The operator-only pages over the pipeline: overview, event explorer, dead letters, replay. */
import type { Hono } from 'hono';
import type { ConsoleEnv, PageDeps } from '../context.ts';
import { deadLetterPages } from './dead-letters.ts';
import { eventPages } from './events.ts';
import { overviewPages } from './overview.ts';
import { replayPages } from './replay.ts';

export function operationsPages(app: Hono<ConsoleEnv>, d: PageDeps): void {
  overviewPages(app, d);
  eventPages(app, d);
  deadLetterPages(app, d);
  replayPages(app, d);
}
