'use strict';
// lib pieces of issue 13: the plain-HTTP listener (answers http-01 tokens, redirects the rest,
// clear errors when its port cannot be opened), which refusals of `replaces` lead to an order
// without it, the failure report, and one store, one owner.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { startHttp01RedirectListener, hostOf } = require('../../dist/lib/acme/challenges/http01-redirect');
const { listenOn } = require('../../dist/lib/acme/challenges/listen');
const { Http01Registry } = require('../../dist/lib/acme/challenges/http01-registry');
const { refusalMayConcernReplaces, failureReport } = require('../../dist/lib/acme/problems');
const { CertflowError } = require('../../dist/lib/errors');
const { claimStore } = require('../../dist/lib/serve/store-owners');

function get(port, urlPath, host = `127.0.0.1:${port}`) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers: { host }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location, body }));
      })
      .on('error', reject);
  });
}

test('the plain-HTTP listener answers tokens of orders in progress and redirects everything else to Node-RED', async () => {
  const registry = new Http01Registry();
  const listener = await startHttp01RedirectListener({ host: '127.0.0.1', port: 0, registry, target: () => ({ protocol: 'https', port: 1880 }) });
  try {
    const remove = registry.add('tok_en-1', 'tok_en-1.thumbprint');
    assert.deepEqual(await get(listener.port, '/.well-known/acme-challenge/tok_en-1'), {
      status: 200,
      location: undefined,
      body: 'tok_en-1.thumbprint',
    });
    remove();
    assert.equal((await get(listener.port, '/.well-known/acme-challenge/tok_en-1')).status, 308);
    assert.equal((await get(listener.port, '/ui/?x=1', 'nr.example.com')).location, 'https://nr.example.com:1880/ui/?x=1');
    assert.equal((await get(listener.port, '/', '[::1]:80')).location, 'https://[::1]:1880/');
    assert.equal(
      (await get(listener.port, '/', 'evil.example/x"><script>')).status,
      400,
      'a Host that is no host name is not echoed into a Location',
    );
  } finally {
    await listener.release();
  }
  const onDefault = await startHttp01RedirectListener({ host: '127.0.0.1', port: 0, registry, target: () => ({ protocol: 'https', port: 443 }) });
  try {
    assert.equal((await get(onDefault.port, '/a', 'nr.example.com:80')).location, 'https://nr.example.com/a');
  } finally {
    await onDefault.release();
  }
  assert.equal(hostOf('a.example.com:80'), 'a.example.com');
  assert.equal(hostOf('a b'), undefined);
});

test('a port held by another program: the error says so and how to go on', async () => {
  const holder = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => holder.once('listening', resolve));
  const { port } = holder.address();
  try {
    const err = await startHttp01RedirectListener({ host: '127.0.0.1', port, target: () => undefined }).catch((e) => e);
    assert.equal(err.code, 'ACME_PORT_IN_USE');
    assert.match(
      err.message,
      new RegExp(
        `on 127\\.0\\.0\\.1:${port}: the port is in use by another program - .*set another port here \\(e\\.g\\. 8080\\) and add a router rule sending port 80 to it`,
      ),
    );
  } finally {
    holder.close();
  }
});

test('no permission for the port (EACCES): setcap, a port forward, or another port plus a router rule', async () => {
  // a server whose bind is refused as a non-root process's bind of port 80 is
  const server = new net.Server();
  server.listen = function listen() {
    process.nextTick(() => this.emit('error', Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), { code: 'EACCES' })));
    return this;
  };
  const { redirectListenAdvice } = require('../../dist/lib/acme/challenges/http01-redirect');
  const err = await listenOn(server, '0.0.0.0', 80, 'the plain-HTTP listener', redirectListenAdvice(80)).catch((e) => e);
  assert.equal(err.code, 'ACME_PORT_DENIED');
  assert.match(err.message, /no permission - ports below 1024 need a privilege/);
  assert.match(err.message, /setcap 'cap_net_bind_service=\+ep'/);
  assert.match(err.message, /forward port 80 to a higher port in your router or firewall/);
  assert.match(err.message, /set another port here \(e\.g\. 8080\) and add a router rule/);
});

test('which refusals of an order with `replaces` lead to ordering again without it', () => {
  const refusal = (problemType, status = 400, code = 'ACME_X') => new CertflowError(code, 'refused', { status, problemType, problemDetail: 'x' });
  // Pebble 2.10 for a serial with a leading 00 byte, and other wordings tied to the replaced certificate
  assert.equal(refusalMayConcernReplaces(refusal('urn:ietf:params:acme:error:serverInternal', 500)), true);
  assert.equal(refusalMayConcernReplaces(refusal('urn:ietf:params:acme:error:conflict', 409)), true);
  assert.equal(refusalMayConcernReplaces(refusal('urn:ietf:params:acme:error:alreadyReplaced', 409)), true);
  assert.equal(refusalMayConcernReplaces(refusal('urn:ietf:params:acme:error:malformed')), true);
  assert.equal(refusalMayConcernReplaces(new CertflowError('ACME_HTTP_ERROR', 'HTTP 500', { status: 500 })), true);
  // problems that have nothing to do with it: ordering again would fail the same way
  assert.equal(refusalMayConcernReplaces(refusal('urn:ietf:params:acme:error:rateLimited', 429, 'ACME_RATE_LIMITED')), false);
  assert.equal(refusalMayConcernReplaces(refusal('urn:ietf:params:acme:error:rejectedIdentifier')), false);
  assert.equal(refusalMayConcernReplaces(refusal('urn:ietf:params:acme:error:userActionRequired', 403)), false);
  assert.equal(refusalMayConcernReplaces(new CertflowError('ACME_UNREACHABLE', 'connection refused', {})), false, 'no answer is no refusal');
  assert.equal(refusalMayConcernReplaces(new Error('x')), false);
});

test('the failure report names the stage, the CA problem, the next try and the days left', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const err = new CertflowError('ACME_CHALLENGE_FAILED', 'http-01 for a.example.com failed: connection refused', {
    step: 'http-01 for a.example.com',
    identifier: 'a.example.com',
    problemType: 'urn:ietf:params:acme:error:connection',
    problemDetail: 'connection refused',
    status: 400,
  });
  const report = failureReport(err, {
    certificate: 'a',
    identifiers: ['a.example.com', 'b.example.com'],
    stage: 'challenge',
    nextRetry: new Date('2030-01-01T01:00:00Z'),
    notAfter: new Date('2030-01-20T12:00:00Z'),
    failures: 3,
    now,
  });
  assert.deepEqual(report, {
    certificate: 'a',
    stage: 'challenge',
    step: 'http-01 for a.example.com',
    identifier: 'a.example.com',
    identifiers: ['a.example.com', 'b.example.com'],
    problem: { type: 'urn:ietf:params:acme:error:connection', shortType: 'connection', detail: 'connection refused', status: 400 },
    error: { code: 'ACME_CHALLENGE_FAILED', message: 'http-01 for a.example.com failed: connection refused' },
    nextRetry: '2030-01-01T01:00:00.000Z',
    daysLeft: 19,
    notAfter: '2030-01-20T12:00:00.000Z',
    failures: 3,
    at: '2030-01-01T00:00:00.000Z',
  });
  const none = failureReport(new Error('boom'), { certificate: 'b', identifiers: ['b.example.com'], failures: 1, now });
  assert.equal(none.daysLeft, null);
  assert.equal(none.nextRetry, null);
  assert.equal(none.identifier, 'b.example.com');
  assert.equal(none.problem, undefined);
});

test('one store, one owner: every claimant hears of the others, and of being alone again', () => {
  const heard = { a: [], b: [] };
  const releaseA = claimStore('u\0node-red', { id: 'a', label: 'A' }, (others) => heard.a.push(others.map((o) => o.id)));
  const releaseOther = claimStore('u\0other', { id: 'c', label: 'C' }, () => undefined);
  const releaseB = claimStore('u\0node-red', { id: 'b', label: 'B' }, (others) => heard.b.push(others.map((o) => o.id)));
  assert.deepEqual(heard, { a: [[], ['b']], b: [['a']] });
  releaseA();
  assert.deepEqual(heard.b.at(-1), [], 'B owns the store again');
  releaseA(); // twice is harmless
  releaseB();
  releaseOther();
});
