import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The FerretDB binary the fault tests start and stop themselves (FERRETDB_BIN; `.ci/run` sets
 * it to the FerretDB it builds). Undefined when not given: those tests are then skipped, and
 * say why.
 */
export const FERRETDB_BIN = process.env.FERRETDB_BIN || undefined;
export const NO_FERRETDB_REASON =
  'skipped: FERRETDB_BIN (a FerretDB 1.24 binary, which .ci/run builds and sets) is not set';

/** A TCP port nobody listens on right now (the kernel's choice). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A FerretDB server (SQLite backend) owned by one test: started on a free loopback port with
 * its own data folder, killed and started again on the same port and data, as an outage does.
 */
export class FerretServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'pebblebot-ferret-'));
  port = 0;
  log = '';

  constructor(private readonly bin: string) {
    mkdirSync(path.join(this.dir, 'sqlite'));
    mkdirSync(path.join(this.dir, 'state'));
  }

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  /** Starts the server (on the port it had before, if any) and resolves once it listens. */
  async start(): Promise<void> {
    this.port ||= await freePort();
    // NOTE: SQLite's deferred transactions fail at once with SQLITE_BUSY when two upgrade to
    // writing together; immediate ones wait for the busy timeout (as .ci/run starts it).
    const child = spawn(
      this.bin,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${this.dir}/sqlite/?_txlock=immediate&_pragma=busy_timeout(30000)`,
        `--state-dir=${this.dir}/state`,
        `--listen-addr=127.0.0.1:${this.port}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DO_NOT_TRACK: '1' } },
    );
    this.child = child;
    child.stdout.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.log += d.toString()));
    const end = Date.now() + 30_000;
    while (!(await listening(this.port))) {
      if (child.exitCode !== null) throw new Error(`FerretDB exited at start:\n${this.log}`);
      if (Date.now() > end) throw new Error(`FerretDB did not listen within 30 s:\n${this.log}`);
      await sleep(50);
    }
  }

  /** Kills the server at once (SIGKILL), as a crashed or unplugged database host. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * Freezes the server (SIGSTOP): its port still accepts connections but nothing answers, as
   * a database host behind a dropped network link or stuck on its disk.
   */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Lets a frozen server run again (SIGCONT). */
  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    this.thaw();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
