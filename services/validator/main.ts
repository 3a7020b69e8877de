/** Validator process: the only place that reads the environment. */
import { runMain } from '../common/service.ts';
import { startValidator, validatorSpec } from './service.ts';

runMain({
  name: 'validator',
  spec: validatorSpec,
  env: process.env,
  start: (deps) => startValidator(deps, { env: process.env }),
});
