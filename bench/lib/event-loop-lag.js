'use strict';
// How long the event loop was blocked while some work ran: the number a Node-RED user feels as
// a frozen editor or late inject. Two views of the same thing:
//  - a timer every `intervalMs` that records how late it fires (max = the longest stall), and
//  - perf_hooks.monitorEventLoopDelay (libuv-level histogram, nanoseconds).
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

/**
 * Starts sampling; call stop() to get { maxLagMs, p99LagMs, meanLagMs, histogramMaxMs, samples }.
 * Lags are "how much later than scheduled", so an idle loop reads ~0-1 ms.
 */
function startLagSampler({ intervalMs = 2 } = {}) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const lags = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - intervalMs));
    last = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
      // the gap from the last tick to now counts too: a stall at the very end is still a stall
      lags.push(Math.max(0, performance.now() - last - intervalMs));
      const sorted = [...lags].sort((a, b) => a - b);
      const pick = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);
      return {
        maxLagMs: sorted.length ? sorted[sorted.length - 1] : 0,
        p99LagMs: pick(0.99),
        meanLagMs: sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : 0,
        histogramMaxMs: histogram.max / 1e6,
        samples: lags.length,
      };
    },
  };
}

/** Runs `fn` (async) with a sampler around it; resolves { result, lag }. */
async function measureLag(fn, options) {
  const sampler = startLagSampler(options);
  try {
    const result = await fn();
    return { result, lag: sampler.stop() };
  } catch (err) {
    sampler.stop();
    throw err;
  }
}

module.exports = { startLagSampler, measureLag };
