/** Processors process: the only place that reads the environment. */
import { runMain } from '../common/service.ts';
import { processorsSpec } from './config.ts';
import { startProcessors } from './service.ts';

runMain({
  name: 'processors',
  spec: processorsSpec,
  env: process.env,
  start: (deps) => startProcessors(deps, { env: process.env }),
});
