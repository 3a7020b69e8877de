/**
 * A second, private single-node Kafka (KRaft) for tests that must stop and restart Kafka without
 * touching the shared broker other tests use. Same jars as the local stack (HOOKLINE_KAFKA_LIBS,
 * else ${HOOKLINE_CACHE:-~/.cache/hookline}/kafka-<version>/libs, else the jar directory of a
 * running broker), its own
 * ports and a temporary data dir. kill() is SIGKILL (a crash: page cache survives, as on a real
 * box after a process crash); start() again reuses the data dir, so what was acknowledged before
 * the crash must still be there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LOG4J = fileURLToPath(new URL('../../deploy/local/log4j2.properties', import.meta.url));

/** The Kafka jars, or undefined (the test then skips, saying why). */
export function findKafkaLibs(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates: string[] = [];
  if (env.HOOKLINE_KAFKA_LIBS) candidates.push(env.HOOKLINE_KAFKA_LIBS);
  const cache = env.HOOKLINE_CACHE ?? join(homedir(), '.cache', 'hookline');
  if (existsSync(cache)) {
    for (const d of readdirSync(cache)
      .filter((n) => /^kafka-\d/.test(n))
      .sort()
      .reverse())
      candidates.push(join(cache, d, 'libs'));
  }
  candidates.push(...runningBrokerLibs());
  return candidates.find((c) => existsSync(c) && readdirSync(c).some((f) => /^kafka_2\.\d+-.*\.jar$/.test(f)));
}

/** Linux: the jar directories of running Kafka brokers (`-cp <dir>/*`), e.g. the local stack's. */
function runningBrokerLibs(): string[] {
  const out: string[] = [];
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!args.includes('kafka.Kafka')) continue;
      const cp = args[args.indexOf('-cp') + 1];
      if (cp?.endsWith('/*')) out.push(cp.slice(0, -2));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JAVA_HOME && existsSync(join(env.JAVA_HOME, 'bin', 'java'))) return join(env.JAVA_HOME, 'bin', 'java');
  const jdk17 = '/usr/lib/jvm/java-17-openjdk-amd64/bin/java';
  return existsSync(jdk17) ? jdk17 : 'java';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out.slice(-2000)}`)),
    );
  });
}

export interface KafkaNode {
  readonly bootstrap: string;
  /** Starts (or restarts) the broker process; resolves once the port accepts connections. */
  start(): Promise<void>;
  /** SIGKILL, waits for the process to be gone. */
  kill(): Promise<void>;
  /** Kills if running and removes the data dir. */
  destroy(): Promise<void>;
  log(): string;
}

export async function createKafkaNode(libs: string): Promise<KafkaNode> {
  const java = findJava();
  const dir = mkdtempSync(join(tmpdir(), 'hookline-ingress-kafka-'));
  const port = await freePort();
  const controller = await freePort();
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'min.insync.replicas=1',
      'num.partitions=1',
      'auto.create.topics.enable=false',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const jvm = [
    '-Xms128m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j2.configurationFile=${LOG4J}`,
    '-cp',
    `${libs}/*`,
  ];
  const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
  await run(java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props]);

  let proc: ChildProcess | undefined;
  let output = '';

  async function portOpen(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  }

  async function kill(): Promise<void> {
    const p = proc;
    if (!p) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await gone;
  }

  return {
    bootstrap: `127.0.0.1:${port}`,
    async start() {
      if (proc) return;
      const p = spawn(java, [...jvm, 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      p.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
      p.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
      p.on('exit', () => {
        if (proc === p) proc = undefined;
      });
      const deadline = Date.now() + 90_000;
      while (!(await portOpen())) {
        if (!proc) throw new Error(`second kafka exited during start-up:\n${output.slice(-3000)}`);
        if (Date.now() > deadline)
          throw new Error(`second kafka did not open ${port} within 90 s:\n${output.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    kill,
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}
