import { randomUUID } from 'node:crypto';
import os from 'node:os';
import cron, { type RunCoordinator, type ScheduledTask } from 'node-cron';
import type { Clock } from '../core/shared/clock.port.js';
import type { ScheduledJob } from '../core/shared/job.port.js';
import type { Logger } from '../logger.js';
import type { Store } from '../core/ports/store.port.js';

export interface SchedulerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  jobs: ScheduledJob[];
  /** This replica's identity in leases (default: host, pid and a random suffix). */
  instanceId?: string;
  /** How long a job's lease lasts without renewal; renewed every third of it while running. */
  leaseMs?: number;
  /** How long `stop()` waits for runs in flight. */
  stopTimeoutMs?: number;
}

/** How long a slot's election key is kept (far longer than any clock skew between replicas). */
const SLOT_KEY_TTL_MS = 24 * 60 * 60_000;

export function defaultInstanceId(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export type TickOutcome = 'ran' | 'not-elected' | 'busy';

/**
 * Runs the domain's scheduled jobs with node-cron on every replica, and makes sure one replica
 * runs each tick: node-cron's `distributed` mode asks a store-backed run coordinator, which
 * elects the replica that first records the slot's key (`{job}:{slotISO}`, a unique insert) and
 * that also takes the job's lease (findOneAndUpdate on `lockedUntil`, never TTL), so a long run
 * never overlaps the next slot on another replica. Each run is logged, its errors captured, and
 * its lease renewed while it runs and released after.
 */
export class Scheduler {
  readonly instanceId: string;
  private readonly leaseMs: number;
  private readonly jobs = new Map<string, ScheduledJob>();
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<unknown>>();
  /** Kicked runs in flight (from the kick to the release of the lease). */
  private readonly kicks = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    this.instanceId = options.instanceId ?? defaultInstanceId();
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    for (const job of options.jobs) {
      if (!cron.validate(job.cron)) throw new Error(`Job ${job.name}: invalid cron "${job.cron}"`);
      if (this.jobs.has(job.name)) throw new Error(`Job ${job.name} is registered twice`);
      this.jobs.set(job.name, job);
    }
  }

  /** Schedules every job with node-cron. */
  start(): void {
    const log = this.options.logger;
    const cronLogger = (name: string) => ({
      info: (m: string) => log.debug({ source: 'node-cron' }, m),
      // A tick skipped because the job's last run still runs is what `noOverlap` is for (the
      // outbox drains for as long as messages keep coming): not worth a warning every 10 s.
      warn: (m: string) =>
        /overlap prevention/.test(m)
          ? log.debug({ source: 'node-cron', job: name }, m)
          : log.warn({ source: 'node-cron' }, m),
      error: (m: string | Error, err?: Error) =>
        log.error({ source: 'node-cron', err: err ?? m }, String(m)),
      debug: (m: string | Error) => log.debug({ source: 'node-cron' }, String(m)),
    });
    for (const job of this.jobs.values()) {
      const task = cron.schedule(job.cron, ({ date }) => this.runElected(job, date), {
        name: job.name,
        timezone: job.timezone ?? 'UTC',
        noOverlap: true,
        distributed: true,
        runCoordinator: this.coordinator(job),
        distributedLease: this.leaseMs,
        logger: cronLogger(job.name),
      });
      this.tasks.push(task);
    }
    log.info(
      {
        instance: this.instanceId,
        jobs: [...this.jobs.values()].map((j) => `${j.name} ${j.cron}`),
      },
      'scheduler started',
    );
  }

  /**
   * One tick of a job as node-cron runs it (election, then the run), without waiting for the
   * clock: what tests and operators use to drive a slot.
   */
  async tick(name: string, slot: Date): Promise<TickOutcome> {
    const job = this.job(name);
    const coordinator = this.coordinator(job);
    if (!(await coordinator.shouldRun(`${job.name}:${slot.toISOString()}`, this.leaseMs)))
      return 'not-elected';
    try {
      await this.runElected(job, slot);
    } finally {
      await coordinator.onComplete?.(job.name);
    }
    return 'ran';
  }

  /**
   * Runs a job now, outside its schedule (e.g. deliver the outbox as soon as something is
   * enqueued), under the job's lease. A run already going here runs once more after it ends.
   */
  kick(name: string): void {
    if (this.stopped) return;
    const job = this.job(name);
    if (this.running.has(name) || this.kicks.has(name)) {
      this.rerun.add(name);
      return;
    }
    const kicked = this.runLeased(job).finally(() => this.kicks.delete(name));
    this.kicks.set(name, kicked);
  }

  /** Waits until no run of `name` is in flight here (tests). */
  async idle(name?: string): Promise<void> {
    for (;;) {
      const runs = name
        ? [this.running.get(name), this.kicks.get(name)]
        : [...this.running.values(), ...this.kicks.values()];
      const pending = runs.filter((run): run is Promise<unknown> => run !== undefined);
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }

  /** Stops the timers, asks running jobs to wrap up, and waits for them (bounded). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const task of this.tasks) await task.destroy();
    this.abort.abort();
    const timeout = this.options.stopTimeoutMs ?? 10_000;
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => setTimeout(resolve, timeout).unref()),
    ]);
    this.options.logger.info({ instance: this.instanceId }, 'scheduler stopped');
  }

  private job(name: string): ScheduledJob {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`No scheduled job named ${name}`);
    return job;
  }

  private leaseName(job: ScheduledJob): string {
    return `job:${job.name}`;
  }

  /** The store-backed run coordinator node-cron asks before each distributed tick. */
  private coordinator(job: ScheduledJob): RunCoordinator {
    const { store, clock, logger } = this.options;
    return {
      shouldRun: async (key: string) => {
        if (this.stopped) return false;
        const now = clock.now();
        // One replica per slot: the first to record the slot's key.
        const first = await store.events.claim(
          `cron:${key}`,
          new Date(now.getTime() + SLOT_KEY_TTL_MS),
        );
        if (!first) return false;
        // And never two runs of one job at once, here or on another replica.
        const leased = await store.leases.acquire(
          this.leaseName(job),
          this.instanceId,
          now,
          new Date(now.getTime() + this.leaseMs),
        );
        if (!leased)
          logger.info({ job: job.name, slot: key }, 'previous run still going; slot skipped');
        return leased;
      },
      onComplete: async () => {
        await store.leases.release(this.leaseName(job), this.instanceId);
      },
    };
  }

  /** A run outside the schedule: take the lease, run, release. */
  private async runLeased(job: ScheduledJob): Promise<void> {
    const { store, clock } = this.options;
    const now = clock.now();
    const leased = await store.leases
      .acquire(this.leaseName(job), this.instanceId, now, new Date(now.getTime() + this.leaseMs))
      .catch((error: unknown) => {
        this.options.logger.warn({ job: job.name, err: error }, 'could not take a job lease');
        return false;
      });
    if (!leased) return;
    try {
      await this.runElected(job, now);
    } finally {
      await store.leases.release(this.leaseName(job), this.instanceId).catch(() => undefined);
    }
    if (this.rerun.delete(job.name) && !this.stopped) await this.runLeased(job);
  }

  /** Runs an elected tick: logging, error capture, lease renewal. Never throws. */
  private runElected(job: ScheduledJob, slot: Date): Promise<void> {
    const run = this.execute(job, slot);
    this.running.set(job.name, run);
    return run.finally(() => {
      if (this.running.get(job.name) === run) this.running.delete(job.name);
    });
  }

  private async execute(job: ScheduledJob, slot: Date): Promise<void> {
    const { store, clock, logger } = this.options;
    const started = performance.now();
    const renew = setInterval(
      () => {
        const now = clock.now();
        store.leases
          .acquire(
            this.leaseName(job),
            this.instanceId,
            now,
            new Date(now.getTime() + this.leaseMs),
          )
          .then((held) => {
            if (!held) logger.warn({ job: job.name }, 'job lease lost while running');
          })
          .catch((error: unknown) =>
            logger.warn({ job: job.name, err: error }, 'lease renewal failed'),
          );
      },
      Math.max(1_000, Math.floor(this.leaseMs / 3)),
    );
    renew.unref();
    try {
      const result = await job.run({ now: clock.now(), slot, signal: this.abort.signal });
      const ms = Math.round(performance.now() - started);
      const busy = result && Object.values(result).some((v) => v > 0);
      logger[busy ? 'info' : 'debug']({ job: job.name, ms, ...(result ?? {}) }, 'job ran');
    } catch (error) {
      logger.error({ job: job.name, err: error }, 'job failed');
    } finally {
      clearInterval(renew);
    }
  }
}
