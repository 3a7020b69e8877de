/**
 * A private stack for the chaos suite (deploy/local/stack.sh with its own data dir and ports), and
 * the faults it injects: SIGKILL of a part (pid from the stack's pidfile, checked against the
 * process start time exactly as stack.sh does, so nothing but our own process is ever signalled),
 * SIGSTOP/SIGCONT of the registry (unreachable: connections open, nothing answers), and `up` again
 * to restart what is missing; a broker's disk made small (a tmpfs of its own at its data dir, root
 * only) and filled with a ballast file. Never touches the shared stack on the default ports.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/services.ts';

const run = promisify(execFile);

export type Part = 'kafka' | 'registry' | 'redis' | `kafka-${number}`;

export interface ChaosStack {
  readonly dir: string;
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly redisUrl: string;
  readonly brokerCount: number;
  up(): Promise<string>;
  down(): Promise<void>;
  pid(part: Part): number | undefined;
  signal(part: Part, sig: NodeJS.Signals): void;
  /** Before the first `up`: a fresh tmpfs of `mb` at the broker's data dir; false when mounting is refused. */
  limitDisk(part: BrokerPart, mb: number): boolean;
  /** Fills the broker's disk with a ballast file until `leaveBytes` are free; returns the ballast's size. */
  fill(part: BrokerPart, leaveBytes: number): number;
  unfill(part: BrokerPart): void;
  /** Unmounts what limitDisk mounted (after `down`). */
  releaseDisk(part: BrokerPart): void;
}

export type BrokerPart = 'kafka' | `kafka-${number}`;

/** Ports from CHAOS_PORT_BASE (default 19600): +1 Kafka, +2 controller, +3 registry, +4 Redis, +10.. extra brokers. */
export function chaosStack(dir: string, base: number, brokerCount: number): ChaosStack {
  const ports = {
    KAFKA_PORT: String(base + 1),
    KAFKA_CONTROLLER_PORT: String(base + 2),
    REGISTRY_PORT: String(base + 3),
    REDIS_PORT: String(base + 4),
  };
  const env = {
    ...process.env,
    ...ports,
    HOOKLINE_STACK_DIR: dir,
    KAFKA_HEAP: '512m',
    REGISTRY_HEAP: '384m',
    STOP_TIMEOUT: '15',
    // A broker restarted after SIGKILL recovers its logs first; on a loaded 2-core box that took
    // more than stack.sh's default 90 s (the suite failed on the restart, not on hookline).
    KAFKA_START_TIMEOUT: '240',
    REGISTRY_START_TIMEOUT: '240',
    STACK_MONITORING: '0',
  };
  const stack = async (...args: string[]) =>
    (await run('bash', [`${ROOT}deploy/local/stack.sh`, ...args], { env, timeout: 600_000 })).stdout;
  const brokerPorts = brokerCount === 1 ? [base + 1] : Array.from({ length: brokerCount }, (_, i) => base + 1 + 10 * i);
  const pid = (part: Part): number | undefined => {
    try {
      const [p, start] = readFileSync(`${dir}/run/${part}.pid`, 'utf8').trim().split(/\s+/);
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      return fields[19] === start && fields[0] !== 'Z' ? Number(p) : undefined;
    } catch {
      return undefined;
    }
  };
  // stack.sh: node 1's data in <dir>/kafka/data, node n's in <dir>/kafka-n/data.
  const dataDir = (part: BrokerPart) => `${dir}/${part}/data`;
  const ballast = (part: BrokerPart) => `${dataDir(part)}/chaos-ballast`;
  const mounted = (path: string) => {
    try {
      execFileSync('mountpoint', ['-q', path]);
      return true;
    } catch {
      return false;
    }
  };
  return {
    dir,
    brokerCount,
    brokers: brokerPorts.map((p) => `127.0.0.1:${p}`),
    registryUrl: `http://127.0.0.1:${ports.REGISTRY_PORT}/apis/ccompat/v7`,
    redisUrl: `redis://127.0.0.1:${ports.REDIS_PORT}`,
    up: () => stack('up', ...(brokerCount > 1 ? ['--brokers', String(brokerCount)] : [])),
    async down() {
      await stack('down').catch(() => undefined);
    },
    pid,
    signal(part, sig) {
      const p = pid(part);
      if (p === undefined) throw new Error(`${part} is not running in ${dir}`);
      process.kill(p, sig);
    },
    limitDisk(part, mb) {
      const path = dataDir(part);
      try {
        if (mounted(path)) execFileSync('umount', [path]);
        // A fresh data dir: the broker formats it on `up` (the private stack holds nothing to keep).
        rmSync(path, { recursive: true, force: true });
        mkdirSync(path, { recursive: true });
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,mode=0755`, 'tmpfs', path], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    },
    fill(part, leaveBytes) {
      const { bavail, bsize } = statfsSync(dataDir(part));
      const size = Math.max(0, bavail * bsize - leaveBytes);
      execFileSync('fallocate', ['-l', String(size), ballast(part)]);
      return size;
    },
    unfill(part) {
      rmSync(ballast(part), { force: true });
    },
    releaseDisk(part) {
      const path = dataDir(part);
      if (mounted(path)) execFileSync('umount', [path]);
    },
  };
}
