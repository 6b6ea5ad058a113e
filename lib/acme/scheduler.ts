/**
 * When to look at certificates again: the renewal timer of the ACME node, without Node-RED.
 *
 * One timer at a time. The first check after start is at once when nothing is stored yet, else
 * within 10 s. Then the next check is after the check interval (with +-10% jitter, so many
 * installations do not ask their CA at the same second) or at the moment renewal is due,
 * whichever is sooner; a check already set for an earlier time is never pushed back. After a
 * failed check the next try comes within an hour (sooner than the interval, never a tight loop).
 * Time comes from an injectable clock, so tests move it forward instead of sleeping.
 */

/** The few time functions the scheduler uses; `systemClock` is the real one. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RenewalSchedulerOptions {
  /** The regular check interval (ms). */
  intervalMs: number;
  /** The work of one check; it schedules the next one itself (schedule / retrySoon). */
  check: () => Promise<void> | void;
  /** false: nothing is ever scheduled (automatic renewal off). Default true. */
  enabled?: boolean;
  clock?: Clock;
  /** Random numbers in [0, 1) for the jitter (injectable for tests). */
  random?: () => number;
}

const HOUR_MS = 3600 * 1000;
/** The earliest a due renewal is checked: a date in the past means "now", not a busy loop. */
const MIN_DELAY_MS = 1000;
/** The longest delay setTimeout takes (about 24.8 days); a later check just checks and re-arms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The first check of an existing certificate after start: within this time (jittered, so many installations do not ask their CA at the same second). */
const FIRST_CHECK_MAX_MS = 10000;

export class RenewalScheduler {
  private readonly clock: Clock;
  private readonly random: () => number;
  private handle: unknown;
  private next: Date | undefined;
  private stopped: boolean;

  constructor(private readonly options: RenewalSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.stopped = options.enabled === false;
  }

  /** When the next check runs; undefined when none is set. */
  get nextCheckAt(): Date | undefined {
    return this.next;
  }

  /** The interval with +-10% jitter. */
  jittered(ms = this.options.intervalMs): number {
    return Math.round(ms * (0.9 + this.random() * 0.2));
  }

  /**
   * Sets the next check: after `delayMs` (default: the jittered interval) or when renewal is
   * `due`, whichever is sooner; kept as it is when a check is already set for no later.
   */
  schedule(due?: Date, delayMs = this.jittered()): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const untilDue = due ? Math.max(due.getTime() - now, MIN_DELAY_MS) : Infinity;
    const at = now + Math.min(delayMs, untilDue, MAX_TIMER_MS);
    if (this.handle !== undefined && this.next && this.next.getTime() <= at) return;
    this.clear();
    this.next = new Date(at);
    this.handle = this.clock.setTimeout(() => this.fire(), at - now);
  }

  /**
   * The first check after start. Nothing stored yet (`hasCertificate` false): at once, so the
   * first certificate is ordered right after deploy. A stored certificate: at a random moment
   * within 10 s (or the interval when shorter): restarts of many installations spread out.
   */
  startSoon(hasCertificate = true): void {
    if (!hasCertificate) return this.schedule(undefined, 0);
    this.schedule(undefined, Math.round(Math.min(this.options.intervalMs, FIRST_CHECK_MAX_MS) * this.random()));
  }

  /** After a failure: try again sooner than the interval, but not within a tight loop. */
  retrySoon(): void {
    this.schedule(undefined, Math.min(this.jittered(), HOUR_MS));
  }

  /** No more checks (the node is closed); a check still running schedules nothing after this. */
  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.next = undefined;
  }

  private fire(): void {
    this.handle = undefined;
    this.next = undefined;
    // A check that throws is a failed check like any other: retry within the hour.
    Promise.resolve()
      .then(() => this.options.check())
      .catch(() => this.retrySoon());
  }
}
