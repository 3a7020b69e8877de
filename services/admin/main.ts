/** The admin process: the only place that reads the environment. */
import { runMain } from '../common/service.ts';
import { adminSpec } from './config.ts';
import { ADMIN_REDIS_AUTO_PIPELINING, startAdmin } from './service.ts';

runMain({
  name: 'admin',
  spec: adminSpec,
  env: process.env,
  start: startAdmin,
  redisAutoPipelining: ADMIN_REDIS_AUTO_PIPELINING,
});
