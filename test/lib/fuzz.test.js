'use strict';
// Hostile input (issue 10): mutants of real certificates, CSRs, keys and PKCS#12 files (bit
// flips, truncations, length bytes, iteration counts, nesting) through every input path of lib/.
// Each call must end within bounds (no loop block over 1 s, however busy the machine) and either
// succeed or fail with our own CertflowError: never a raw error from forge, asn1js, OpenSSL.
//
// The seed is fixed, so a failure names a mutant that reproduces: FUZZ_SEED=<n> FUZZ_MUTANTS=<n>
// pick others. CERTFLOW_DIST=<dir> runs it against another build (e.g. the one before a change).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const seeds = require('./fuzz-seeds');

const dist = process.env.CERTFLOW_DIST ? path.resolve(process.env.CERTFLOW_DIST) : path.join(__dirname, '../../dist/lib');
const { inspect, inspectCertificate } = require(path.join(dist, 'inspect/inspect'));
const { importPkcs12 } = require(path.join(dist, 'inspect/pkcs12'));
const { parseCsr } = require(path.join(dist, 'pki/csr'));
const { loadPrivateKey, loadPublicKey } = require(path.join(dist, 'pki/keys'));
const { decodeInput } = require(path.join(dist, 'inspect/pem'));

const SEED = Number(process.env.FUZZ_SEED ?? 10);
const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 6000);
const MAX_BLOCK_MS = 1000; // CPU time; generous: bench/hostile-input.bench.js measures the real 100 ms bound
const REPORT = process.env.FUZZ_REPORT; // a file that gets each finding as it happens (for long runs)
const MAX_WALL_MS = 10000; // sliced or thread-pool work (PKCS#12 iterations) may take longer, never forever

/** mulberry32: a small PRNG, so the mutants are the same on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MUTATORS = {
  flipBits(b, r) {
    const out = Buffer.from(b);
    for (let n = 1 + Math.floor(r() * 4); n > 0; n--) out[Math.floor(r() * out.length)] ^= 1 << Math.floor(r() * 8);
    return out;
  },
  truncate: (b, r) => b.subarray(0, Math.floor(r() * b.length)),
  setByte(b, r) {
    const out = Buffer.from(b);
    out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return out;
  },
  /** A length byte made long-form and huge, or off by a little. */
  lengthByte(b, r) {
    const at = 1 + Math.floor(r() * (b.length - 1));
    const choice = r();
    const length =
      choice < 0.3
        ? [0x84, 0xff, 0xff, 0xff, 0xff]
        : choice < 0.5
          ? [0x80]
          : choice < 0.7
            ? [0x82, Math.floor(r() * 256), Math.floor(r() * 256)]
            : [(b[at] + (r() < 0.5 ? 1 : 255)) & 0xff];
    return Buffer.concat([b.subarray(0, at), Buffer.from(length), b.subarray(at + 1)]);
  },
  /** An INTEGER (iteration counts, versions, serials) set to a large or odd value. */
  integer(b, r) {
    const spots = [];
    for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0x02 && b[i + 1] >= 1 && b[i + 1] <= 4) spots.push(i);
    if (spots.length === 0) return MUTATORS.setByte(b, r);
    const at = spots[Math.floor(r() * spots.length)];
    const values = [[0x7f, 0xff, 0xff, 0xff], [0x00], [0xff], [0x0f, 0x42, 0x40], [0x00, 0x98, 0x96, 0x80], [0x01, 0x86, 0xa0]];
    const value = values[Math.floor(r() * values.length)];
    return Buffer.concat([b.subarray(0, at), Buffer.from([0x02, value.length, ...value]), b.subarray(at + 2 + b[at + 1])]);
  },
  insert(b, r) {
    const at = Math.floor(r() * b.length);
    const junk = Buffer.alloc(1 + Math.floor(r() * 16), Math.floor(r() * 256));
    return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
  },
  remove(b, r) {
    const at = Math.floor(r() * b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(r() * 16))]);
  },
  duplicate(b, r) {
    const at = Math.floor(r() * b.length);
    const chunk = b.subarray(at, at + 1 + Math.floor(r() * 64));
    return Buffer.concat([b.subarray(0, at), chunk, chunk, b.subarray(at)]);
  },
  /** The whole thing nested in SEQUENCEs (or indefinite-length ones). */
  nest(b, r) {
    let out = b;
    for (let n = 1 + Math.floor(r() * 200); n > 0; n--) {
      out =
        r() < 0.2
          ? Buffer.concat([Buffer.from([0x30, 0x80]), out, Buffer.from([0, 0])])
          : Buffer.concat([Buffer.from([0x30, 0x84]), u32(out.length), out]);
    }
    return out;
  },
  splice(b, r) {
    const other = Buffer.from(seeds[Math.floor(r() * seeds.length)].der, 'base64');
    const at = Math.floor(r() * b.length);
    return Buffer.concat([b.subarray(0, at), other.subarray(Math.floor(r() * other.length))]);
  },
};
const MUTATOR_NAMES = Object.keys(MUTATORS);
const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

const LABELS = {
  certificate: 'CERTIFICATE',
  csr: 'CERTIFICATE REQUEST',
  'private-key': 'PRIVATE KEY',
  'encrypted-private-key': 'ENCRYPTED PRIVATE KEY',
  'public-key': 'PUBLIC KEY',
  pkcs12: 'PKCS12',
};
function asPem(der, label) {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;
}

/** The calls a mutant goes through: inspect always, plus the reader of its kind. */
function callsFor(seed, der, form) {
  const input = form === 'der' ? der : form === 'pem' ? asPem(der, seed.label ?? LABELS[seed.kind]) : der.toString('base64');
  const now = new Date('2026-12-15T00:00:00Z');
  const calls = [['inspect', () => inspect(input, { password: seed.password, passphrase: seed.password, trustAnchors: 'none', now })]];
  if (seed.kind === 'pkcs12') calls.push(['importPkcs12', () => importPkcs12(der, seed.password)]);
  if (seed.kind === 'csr') calls.push(['parseCsr', () => parseCsr(input)]);
  if (seed.kind === 'certificate') calls.push(['inspectCertificate', () => inspectCertificate(input, { now })]);
  if (seed.kind.endsWith('private-key')) calls.push(['loadPrivateKey', () => loadPrivateKey(input, seed.password)]);
  if (seed.kind === 'public-key') calls.push(['loadPublicKey', () => loadPublicKey(input)]);
  if (form !== 'der') calls.push(['decodeInput', () => decodeInput(input)]);
  return calls;
}

function isOurs(err) {
  return (
    err !== null &&
    typeof err === 'object' &&
    err.name === 'CertflowError' &&
    typeof err.code === 'string' &&
    typeof err.message === 'string' &&
    err.message.length > 0
  );
}

/** CPU milliseconds this process has used (all its threads; while the loop is held, that is the loop). */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Wall time of one call, and the CPU time its synchronous start held the loop (most parsing is
 * sync). CPU time, not wall time: on a machine whose cores are busy with other work the process
 * waits for a core, and that wait is the machine's, not the input's.
 */
async function measure(call) {
  const started = process.hrtime.bigint();
  const cpuStarted = cpuMs();
  let error;
  let syncMs;
  try {
    const pending = call();
    syncMs = cpuMs() - cpuStarted;
    await pending;
  } catch (err) {
    error = err;
    syncMs ??= cpuMs() - cpuStarted;
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { error, wallMs, syncMs };
}

/**
 * The loop's longest stall over a run, in CPU time: a 20 ms timer that fires late by N ms while
 * the process used M ms of CPU meanwhile was held by work for at most min(N, M) ms.
 */
function startStallSampler(intervalMs = 20) {
  let lastWall = performance.now();
  let lastCpu = cpuMs();
  let worst = 0;
  const timer = setInterval(() => {
    const wall = performance.now();
    const cpu = cpuMs();
    worst = Math.max(worst, Math.min(wall - lastWall, cpu - lastCpu) - intervalMs);
    lastWall = wall;
    lastCpu = cpu;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return worst;
    },
  };
}

test(`fuzz: ${MUTANTS} mutants (seed ${SEED}) end fast, and only with our own errors`, { timeout: 600_000 }, async (t) => {
  // first use loads @peculiar/x509 and friends (~150 ms, once per process): not the input's doing
  await inspect(Buffer.from(seeds[0].der, 'base64'), { trustAnchors: 'none' });
  await parseCsr(Buffer.from(seeds.find((s) => s.kind === 'csr').der, 'base64'));
  const random = prng(SEED);
  const slow = [];
  const notOurs = new Map(); // message class -> first example
  let calls = 0;
  let notOursCount = 0;
  let worstBlock = 0;
  let worstCall = 'none';
  // the loop's longest stall over the whole run also catches blocks after a call's first await
  const stalls = startStallSampler();
  const started = Date.now();
  for (let i = 0; i < MUTANTS; i++) {
    const seed = seeds[i % seeds.length];
    const mutator = MUTATOR_NAMES[Math.floor(random() * MUTATOR_NAMES.length)];
    let der = MUTATORS[mutator](Buffer.from(seed.der, 'base64'), random);
    if (random() < 0.25) der = MUTATORS[MUTATOR_NAMES[Math.floor(random() * MUTATOR_NAMES.length)]](der, random);
    if (der.length === 0) der = Buffer.from([0x30]);
    const formPick = random();
    const form = seed.kind === 'pkcs12' || formPick < 0.5 ? 'der' : formPick < 0.85 ? 'pem' : 'base64';
    if (process.env.FUZZ_DUMP && Number(process.env.FUZZ_DUMP) === i) fs.writeFileSync(`/tmp/fuzz-mutant-${i}.der`, der);
    for (const [name, call] of callsFor(seed, der, form)) {
      calls++;
      const { error, wallMs, syncMs: blocked } = await measure(call);
      // back to the event loop between calls, as Node-RED's messages are: calls that end at once
      // would otherwise chain in microtasks, and the stall sampler would see a run of them as one block
      await new Promise((resolve) => setImmediate(resolve));
      if (blocked > worstBlock) worstCall = `${Math.round(blocked)} ms, mutant ${i} (${seed.name}, ${mutator}, ${form}) ${name}`;
      worstBlock = Math.max(worstBlock, blocked);
      const where = `mutant ${i} (${seed.name}, ${mutator}, ${form}) ${name}`;
      if (wallMs > 1000 || blocked > MAX_BLOCK_MS) {
        slow.push(`${where}: ${Math.round(wallMs)} ms (loop blocked ${Math.round(blocked)} ms)`);
        if (REPORT) fs.appendFileSync(REPORT, `slow ${slow[slow.length - 1]}\n`);
      }
      if (error !== undefined && !isOurs(error)) {
        notOursCount++;
        if (REPORT) fs.appendFileSync(REPORT, `notours ${where}: ${String(error?.message ?? error).slice(0, 100)}\n`);
        const kind = `${error?.name ?? typeof error}: ${String(error?.message ?? error)
          .replace(/\d+/g, 'N')
          .slice(0, 80)}`;
        if (!notOurs.has(kind))
          notOurs.set(
            kind,
            `${where}: ${String(error?.stack ?? error)
              .split('\n')
              .slice(0, 3)
              .join(' | ')}`,
          );
      }
    }
  }
  worstBlock = Math.max(worstBlock, stalls.stop());
  if (REPORT) fs.appendFileSync(REPORT, `done ${calls} calls\n`);
  t.diagnostic(
    `${calls} calls in ${((Date.now() - started) / 1000).toFixed(1)} s; ${slow.length} over 1 s; ${notOursCount} errors not ours in ${notOurs.size} classes; worst loop block ${Math.round(worstBlock)} ms (worst synchronous start: ${worstCall})`,
  );
  for (const line of slow.slice(0, 10)) t.diagnostic(`slow: ${line}`);
  for (const [kind, example] of [...notOurs].slice(0, 15)) t.diagnostic(`not ours: ${kind} -- ${example}`);
  assert.deepEqual([...notOurs.values()], [], 'every failure is a CertflowError');
  assert.ok(worstBlock < MAX_BLOCK_MS, `no call blocks the event loop for ${MAX_BLOCK_MS} ms (worst ${Math.round(worstBlock)} ms)`);
  assert.deepEqual(
    slow.filter((line) => Number(/: (\d+) ms/.exec(line)[1]) > MAX_WALL_MS),
    [],
    `no call takes over ${MAX_WALL_MS} ms`,
  );
});
