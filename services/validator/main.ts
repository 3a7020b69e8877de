/** Validator process: the only place that reads the environment. */
import { runMain } from '../common/service.ts';
import { validatorSpec } from './config.ts';
import { startValidator } from './service.ts';

runMain({
  name: 'validator',
  spec: validatorSpec,
  env: process.env,
  start: (deps) => startValidator(deps, { env: process.env }),
});
