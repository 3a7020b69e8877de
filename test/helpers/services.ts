/** Starts hookline services as real processes (each its own main.ts) for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceEnv } from './env.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly output: string[];
  /** SIGTERM, resolves with the exit code (null if it had to be killed after `ms`). */
  stop(ms?: number): Promise<number | null>;
}

export async function startServiceProcess(
  name: string,
  prefix: string,
  env: Record<string, string> = {},
  fixedPort?: number,
  readyTimeoutMs = 60_000,
): Promise<ServiceProcess> {
  const port = fixedPort ?? (await freePort());
  const output: string[] = [];
  const child = spawn(process.execPath, [`${ROOT}services/${name}/main.ts`], {
    env: serviceEnv(prefix, { HTTP_PORT: String(port), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start-up:\n${output.join('')}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready after ${readyTimeoutMs / 1000} s:\n${output.join('')}`);
    }
    await sleep(200);
  }
  return {
    name,
    port,
    child,
    output,
    async stop(ms = 40_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
