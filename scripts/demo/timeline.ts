/** A clock the story can move: the domain's FakeClock fits. */
export interface SettableClock {
  now(): Date;
  set(to: Date): void;
}

interface Scheduled {
  at: number;
  seq: number;
  run: () => Promise<void>;
}

/**
 * The demo's calendar: actions scheduled at instants, run in time order with the clock set to
 * each one, and the scheduler's periodic work (`tick`) run at every step of `tickMs` between
 * them, the way the jobs would have run in those weeks. Actions may schedule later actions;
 * anything due after `end` never happens.
 */
export class Timeline {
  private readonly queue: Scheduled[] = [];
  private seq = 0;

  constructor(
    private readonly clock: SettableClock,
    private readonly end: Date,
  ) {}

  at(when: Date, run: () => Promise<void>): void {
    const item = { at: when.getTime(), seq: this.seq++, run };
    if (item.at > this.end.getTime()) return;
    // Sorted insert; equal instants keep the order they were scheduled in.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.at > item.at) i--;
    this.queue.splice(i, 0, item);
  }

  /**
   * Runs everything from `start` to the end. `after` runs after each action (delivering what
   * it queued); `tick` runs at `start`, every `tickMs`, and once more at the end.
   */
  async run(options: {
    start: Date;
    tickMs: number;
    tick: (now: Date) => Promise<void>;
    after: () => Promise<void>;
  }): Promise<void> {
    const end = this.end.getTime();
    let nextTick = options.start.getTime();
    for (;;) {
      const next = this.queue[0];
      if (nextTick <= end && (!next || nextTick <= next.at)) {
        this.clock.set(new Date(nextTick));
        await options.tick(new Date(nextTick));
        nextTick += options.tickMs;
        continue;
      }
      if (!next) break;
      this.queue.shift();
      this.clock.set(new Date(next.at));
      await next.run();
      await options.after();
    }
    this.clock.set(new Date(end));
    await options.tick(new Date(end));
  }
}
