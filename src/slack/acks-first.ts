import { performance } from 'node:perf_hooks';

/**
 * How long an answer with no deadline of its own may wait for acknowledgements. Under load
 * with no pause between requests it goes out after this, so answers never pile up; a
 * response_url stays valid 30 minutes.
 */
export const ANSWER_MAX_WAIT_MS = 2_000;

/**
 * Acknowledgements first. Slack waits 3 s for each acknowledgement; the answers that follow
 * one (a ballot's receipt through its response_url) have no such deadline, but each costs the
 * thread about a millisecond of CPU. When a council votes at once, answers sent as soon as
 * their click was acknowledged delayed the acknowledgements of the clicks still arriving. This
 * counts the requests received and not yet acknowledged; an answer waits its turn until none
 * is, or until ANSWER_MAX_WAIT_MS after it was asked for.
 */
export class AcksFirst {
  private pending = 0;
  private readonly waiting = new Set<() => void>();

  /** A request arrived; the function returned says it was acknowledged (calling it twice is harmless). */
  arrived(): () => void {
    this.pending++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.pending--;
      if (this.pending === 0) for (const wake of [...this.waiting]) wake();
    };
  }

  /**
   * A deadline for an answer asked for now; `turn(deadline)` resolves once no acknowledgement
   * is pending, or at that deadline.
   */
  deadline(): number {
    return performance.now() + ANSWER_MAX_WAIT_MS;
  }

  /** Resolves once no acknowledgement is pending, or at `deadline` (from `deadline()`). */
  turn(deadline: number): Promise<void> {
    const left = deadline - performance.now();
    if (this.pending === 0 || left <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, left);
      timer.unref();
      this.waiting.add(wake);
    });
  }
}
