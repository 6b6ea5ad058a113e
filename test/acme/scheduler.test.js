'use strict';
// The ACME node's renewal timer (lib/acme/scheduler), on a fake clock: time is moved forward,
// nothing sleeps. What a user would notice: when the node next looks at its certificate.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { RenewalScheduler, MAX_TIMER_MS } = require('../../dist/lib/acme/scheduler');

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.parse('2025-03-01T12:00:00Z');

/** A clock whose time only moves when advance() is called; it fires due timers in order. */
class FakeClock {
  constructor(now = START) {
    this.time = now;
    this.timers = new Map();
    this.nextId = 1;
  }

  now() {
    return this.time;
  }

  setTimeout(callback, ms) {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  /** How many timers are waiting. */
  get pending() {
    return this.timers.size;
  }

  /** Moves time forward by ms, running each timer at its moment (and the checks they start). */
  async advance(ms) {
    const end = this.time + ms;
    for (;;) {
      const [id, timer] = [...this.timers].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
      if (!timer || timer.at > end) break;
      this.timers.delete(id);
      this.time = timer.at;
      timer.callback();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets promise callbacks (a check and what it schedules) run. */
async function settle() {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

/** A scheduler on a fake clock whose checks are recorded; `random` 0.5 means no jitter. */
function setUp({ intervalMs = 6 * HOUR, random = () => 0.5, check, enabled } = {}) {
  const clock = new FakeClock();
  const checks = [];
  const scheduler = new RenewalScheduler({
    intervalMs,
    clock,
    random,
    enabled,
    check: async () => {
      checks.push(clock.now() - START);
      if (check) await check(scheduler);
    },
  });
  return { clock, checks, scheduler };
}

test('the next check comes after the check interval, with at most 10% jitter either way', async () => {
  for (const [random, expected] of [
    [0.5, 6 * HOUR],
    [0, 5.4 * HOUR],
    [0.999999, 6.6 * HOUR],
  ]) {
    const { clock, checks, scheduler } = setUp({ random: () => random });
    scheduler.schedule();
    assert.ok(
      Math.abs(scheduler.nextCheckAt.getTime() - START - expected) < 100,
      `${random}: ${scheduler.nextCheckAt.getTime() - START} vs ${expected}`,
    );
    await clock.advance(expected - MINUTE);
    assert.deepEqual(checks, [], 'no check before its time');
    await clock.advance(2 * MINUTE);
    assert.equal(checks.length, 1);
    assert.equal(scheduler.nextCheckAt, undefined, 'a check that schedules nothing leaves no timer');
  }
});

test('renewal due before the interval ends: the check runs at the due time; a due date in the past means in a second', async () => {
  const { clock, checks, scheduler } = setUp();
  scheduler.schedule(new Date(START + 2 * HOUR));
  assert.equal(scheduler.nextCheckAt.getTime(), START + 2 * HOUR);
  await clock.advance(2 * HOUR);
  assert.deepEqual(checks, [2 * HOUR]);

  scheduler.schedule(new Date(START - DAY)); // overdue
  assert.equal(scheduler.nextCheckAt.getTime(), clock.now() + SECOND);
  await clock.advance(SECOND);
  assert.equal(checks.length, 2);
});

test('a check already set for an earlier time is never pushed back; a sooner one replaces it', async () => {
  const { clock, checks, scheduler } = setUp();
  scheduler.schedule(new Date(START + HOUR));
  scheduler.schedule(); // interval: later, ignored
  scheduler.schedule(new Date(START + 3 * HOUR)); // later, ignored
  assert.equal(scheduler.nextCheckAt.getTime(), START + HOUR);
  assert.equal(clock.pending, 1);
  scheduler.schedule(new Date(START + 30 * MINUTE)); // sooner: replaces
  assert.equal(scheduler.nextCheckAt.getTime(), START + 30 * MINUTE);
  assert.equal(clock.pending, 1, 'one timer at a time');
  await clock.advance(6 * HOUR);
  assert.deepEqual(checks, [30 * MINUTE], 'one check, at the sooner time');
});

test('each check sets the next one: a certificate due in 40 days is checked every interval, and at the due time', async () => {
  let due = new Date(START + 40 * DAY);
  const renewedAt = [];
  const { clock, checks, scheduler } = setUp({
    intervalMs: 12 * HOUR,
    check: (s) => {
      if (clock.now() >= due.getTime()) {
        renewedAt.push(clock.now() - START);
        due = new Date(clock.now() + 60 * DAY); // renewed: the new certificate is due later
      }
      s.schedule(due);
    },
  });
  scheduler.startSoon();
  assert.equal(scheduler.nextCheckAt.getTime(), START + 5 * SECOND, 'first check of a stored certificate within 10 s of deploy (random 0.5: 5 s)');
  await clock.advance(40 * DAY + HOUR);
  assert.equal(checks[0], 5 * SECOND);
  assert.equal(checks.length, 1 + 79 + 1, 'every 12 hours for 40 days, then once at the due time');
  assert.equal(checks.at(-1), 40 * DAY);
  assert.deepEqual(renewedAt, [40 * DAY]);
  assert.equal(scheduler.nextCheckAt.getTime(), START + 40 * DAY + 12 * HOUR);
});

test('startSoon with an interval shorter than 10 s checks within the interval', () => {
  const { scheduler } = setUp({ intervalMs: 2 * SECOND });
  scheduler.startSoon();
  assert.equal(scheduler.nextCheckAt.getTime(), START + 1 * SECOND);
});

test('startSoon: nothing stored yet orders at once; a stored certificate is checked at a random moment within 10 s', async () => {
  const first = setUp({ random: () => 0.999 });
  first.scheduler.startSoon(false);
  assert.equal(first.scheduler.nextCheckAt.getTime(), START, 'no jitter before the first order');
  await first.clock.advance(0);
  assert.deepEqual(first.checks, [0]);
  for (const [random, expected] of [
    [0, 0],
    [0.25, 2.5 * SECOND],
    [0.999, 9.99 * SECOND],
  ]) {
    const { scheduler } = setUp({ random: () => random });
    scheduler.startSoon(true);
    assert.equal(scheduler.nextCheckAt.getTime(), START + expected);
  }
});

test('after a failed check the next try is within an hour, not after the whole interval, and not in a tight loop', async () => {
  let fail = true;
  const { clock, checks, scheduler } = setUp({
    intervalMs: 6 * HOUR,
    check: (s) => {
      if (fail) s.retrySoon();
      else s.schedule();
    },
  });
  scheduler.schedule();
  await clock.advance(6 * HOUR);
  assert.equal(checks.length, 1);
  assert.equal(scheduler.nextCheckAt.getTime() - clock.now(), HOUR);
  await clock.advance(HOUR);
  assert.equal(checks.length, 2, 'retried an hour later');
  fail = false;
  await clock.advance(HOUR);
  assert.equal(checks.length, 3);
  assert.equal(scheduler.nextCheckAt.getTime() - clock.now(), 6 * HOUR, 'back to the interval once it works');

  // a short interval: the retry comes after the (jittered) interval, still never at once
  const short = setUp({ intervalMs: 10 * MINUTE, random: () => 0, check: (s) => s.retrySoon() });
  short.scheduler.schedule();
  await short.clock.advance(9 * MINUTE);
  assert.equal(short.checks.length, 1);
  assert.equal(short.scheduler.nextCheckAt.getTime() - short.clock.now(), 9 * MINUTE);
});

test('a check that throws counts as failed: retried within the hour', async () => {
  const { clock, checks, scheduler } = setUp({
    check: () => {
      throw new Error('CA unreachable');
    },
  });
  scheduler.schedule();
  await clock.advance(6 * HOUR);
  assert.equal(checks.length, 1);
  assert.ok(scheduler.nextCheckAt, 'a retry is set');
  assert.ok(scheduler.nextCheckAt.getTime() - clock.now() <= HOUR);
});

test('a renewal due in months waits in steps setTimeout can take (about 24.8 days)', async () => {
  const { clock, checks, scheduler } = setUp({ intervalMs: 365 * DAY });
  scheduler.schedule(new Date(START + 60 * DAY));
  assert.equal(scheduler.nextCheckAt.getTime(), START + MAX_TIMER_MS);
  await clock.advance(30 * DAY);
  assert.equal(checks.length, 1, 'the check at the limit looks and sets the next one');
});

test('stopped (node closed): no timer left, nothing scheduled afterwards, even by a check still running', async () => {
  let release;
  const { clock, checks, scheduler } = setUp({
    check: async (s) => {
      await new Promise((resolve) => {
        release = resolve;
      });
      s.schedule();
      s.retrySoon();
    },
  });
  scheduler.schedule();
  await clock.advance(6 * HOUR);
  assert.equal(checks.length, 1);
  scheduler.stop();
  release();
  await settle();
  assert.equal(clock.pending, 0);
  assert.equal(scheduler.nextCheckAt, undefined);
  scheduler.schedule(new Date(START));
  scheduler.startSoon();
  assert.equal(clock.pending, 0);
});

test('automatic renewal off: nothing is ever scheduled', () => {
  const { clock, scheduler } = setUp({ enabled: false });
  scheduler.startSoon();
  scheduler.schedule(new Date(START + HOUR));
  scheduler.retrySoon();
  assert.equal(clock.pending, 0);
  assert.equal(scheduler.nextCheckAt, undefined);
});
