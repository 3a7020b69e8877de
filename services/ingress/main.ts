/** Ingress process: the only place that reads the environment. */
import { runMain } from '../common/service.ts';
import { ingressService } from './service.ts';

runMain(ingressService(process.env));
