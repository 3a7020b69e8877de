/** The admin process: the only place that reads the environment. */
import { runMain } from '../common/service.ts';
import { adminSpec } from './config.ts';
import { startAdmin } from './service.ts';

runMain({ name: 'admin', spec: adminSpec, env: process.env, start: startAdmin });
