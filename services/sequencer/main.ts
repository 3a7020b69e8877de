/** Sequencer process: the only place that reads the environment. */
import { runMain } from '../common/service.ts';
import { sequencerSpec } from './config.ts';
import { startSequencer } from './service.ts';

runMain({ name: 'sequencer', spec: sequencerSpec, env: process.env, start: startSequencer });
