/** What a scheduled job gets on each tick. */
export interface JobContext {
  /** The injected clock's time at the start of the tick. */
  now: Date;
  /** The cron slot this tick belongs to (what node-cron fired for). */
  slot: Date;
  /** Aborted when the process stops: finish the current item and return. */
  signal: AbortSignal;
}

/**
 * A scheduled job as the domain defines it: a name, a cron expression and a sweep over the
 * store of what is due now (so a missed or lost tick loses nothing: the next one does it).
 * The scheduler wraps it with the run coordinator, logging, error capture and the clock.
 */
export interface ScheduledJob {
  name: string;
  /** node-cron expression (5 fields, or 6 with seconds), read in `timezone` (default UTC). */
  cron: string;
  timezone?: string;
  run(context: JobContext): Promise<Record<string, number> | void>;
}
