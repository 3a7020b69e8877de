/** The dispatcher process: the only place that reads the environment. */
import { runMain } from '../common/service.ts';
import { dispatcherSpec } from './config.ts';
import { startDispatcher } from './service.ts';

runMain({ name: 'dispatcher', spec: dispatcherSpec, env: process.env, start: startDispatcher });
