/**
 * certflow-acme ("ACME certificate"): obtains and renews a certificate from an ACME CA with
 * lib/acme's CertificateManager. This file only wires Node-RED to it: config and msg in, the
 * http-01 route, the dns-01 round trip through the flow, the renewal timer, status and output.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { CertflowError } from '../lib/errors';
import { parseKeyAlgorithm } from '../lib/keys';
import { inspectCertificate } from '../lib/inspect';
import { CertificateManager, HTTP01_PATH_PREFIX, http01Registry, parseIdentifiers } from '../lib/acme';
import type { ChallengeOptions, ChallengeType, Dns01Record, EnsureResult, ProgressDetails, StoredCertificate } from '../lib/acme';
import accountModule = require('./certflow-acme-account');
import { handleInput, startBundle, statusError, statusOk, statusProgress, statusWarning } from './common';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './common';

interface AcmeConfig extends NodeDef {
  account?: string;
  certName?: string;
  identifiers?: string;
  keySource?: 'new' | 'reuse' | 'msg';
  keyType?: string;
  challengeDns?: ChallengeType;
  challengeIp?: ChallengeType;
  http01Method?: 'route' | 'standalone' | 'webroot';
  http01Host?: string;
  http01Port?: string | number;
  webroot?: string;
  tlsAlpnHost?: string;
  tlsAlpnPort?: string | number;
  dnsResolvers?: string;
  dnsCheck?: boolean;
  dnsTimeout?: string | number;
  dnsFlowTimeout?: string | number;
  profile?: string;
  preferredChain?: string;
  autoRenew?: boolean;
  checkInterval?: string | number;
}

type RED = NodeAPI & {
  settings: { userDir?: string; httpNodeRoot?: string | false };
  httpNode?: { get(path: string, handler: (req: any, res: any) => void): void };
  nodes: NodeAPI['nodes'] & { getNode(id: string): unknown };
};

const HOUR = 3600 * 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Apps that already have the challenge route: one route per runtime, shared by every node. */
const routedApps = new WeakSet<object>();

const num = (value: unknown, fallback: number) => (value === undefined || value === '' || Number.isNaN(Number(value)) ? fallback : Number(value));
const jitter = (ms: number) => Math.round(ms * (0.9 + Math.random() * 0.2));

export = function register(RED: RED): void {
  /** GET /.well-known/acme-challenge/:token answers tokens of orders in progress, 404 otherwise. */
  function ensureChallengeRoute(node: Node): void {
    const app = RED.httpNode;
    if (!app || routedApps.has(app)) return;
    routedApps.add(app);
    app.get(`${HTTP01_PATH_PREFIX}:token`, (req, res) => {
      const body = http01Registry.lookup(String(req.params.token));
      if (body === undefined) res.status(404).type('text/plain').send('Not Found');
      else res.status(200).type('text/plain').send(body);
    });
    const root = RED.settings.httpNodeRoot;
    if (root === false) node.warn(RED._('certflow-acme.warnings.httpNodeOff'));
    else if (root && root !== '/') node.warn(RED._('certflow-acme.warnings.httpNodeRoot', { root }));
  }

  function CertflowAcmeNode(this: Node, config: AcmeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const accountNode = config.account ? (RED.nodes.getNode(config.account) as accountModule.AcmeAccountNode | null) : null;
    const keySource = config.keySource ?? 'new';
    const intervalMs = Math.max(num(config.checkInterval, 6), 0.0005) * HOUR;
    const dnsFlow = dnsRoundTrip(node, num(config.dnsFlowTimeout, 120) * 1000);
    /** Certificates this node keeps current: name -> identifiers (undefined = the stored ones). */
    const certificates = new Map<string, string | string[] | undefined>();
    let timer: NodeJS.Timeout | undefined;
    let closed = false;

    const http01Method = config.http01Method ?? 'route';
    if (http01Method === 'route') ensureChallengeRoute(node);

    function onProgress(text: string, details?: ProgressDetails): void {
      if (closed) return;
      if (details?.step === 'cleanup') node.warn(text);
      else statusProgress(node, text);
    }

    function challenges(msg?: NodeMessage): ChallengeOptions {
      const resolvers = String(config.dnsResolvers ?? '').split(/[\s,]+/).filter(Boolean);
      return {
        defaults: { dns: config.challengeDns || 'http-01', wildcard: 'dns-01', ip: config.challengeIp || 'http-01' },
        perIdentifier: msg && typeof msg.challenges === 'object' ? (msg.challenges as Record<string, ChallengeType>) : undefined,
        http01:
          http01Method === 'webroot' ? { method: 'webroot', webroot: String(config.webroot ?? '') }
          : http01Method === 'standalone' ? { method: 'standalone', host: config.http01Host || undefined, port: num(config.http01Port, 80) }
          : { method: 'route' },
        tlsAlpn01: { host: config.tlsAlpnHost || undefined, port: num(config.tlsAlpnPort, 443) },
        dns01: {
          hook: dnsFlow.hook,
          resolvers: resolvers.length ? resolvers : undefined,
          checkPropagation: config.dnsCheck !== false,
          propagationTimeoutMs: num(config.dnsTimeout, 120) * 1000,
        },
      };
    }

    /** The certificate's name: the dialog's, else its first name or address (it names a folder). */
    function certificateName(identifiers: string | string[] | undefined): string {
      const given = String(config.certName ?? '').trim();
      if (given) {
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(given)) throw new CertflowError('ACME_BAD_NAME', RED._('certflow-acme.errors.badName', { name: given }));
        return given;
      }
      if (!identifiers || identifiers.length === 0) throw new CertflowError('ACME_NO_IDENTIFIERS', RED._('certflow-acme.errors.noIdentifiers'));
      return parseIdentifiers(identifiers)[0].value.replace(/^\*\./, 'wildcard.').replace(/[^A-Za-z0-9._-]/g, '_');
    }

    function manager(name: string, msg?: NodeMessage): CertificateManager {
      if (!accountNode) throw new CertflowError('ACME_NO_ACCOUNT', RED._('certflow-acme.errors.noAccount'));
      return new CertificateManager({
        name,
        baseDir: path.join(accountModule.certflowDir(RED), 'acme', name),
        account: accountNode.getAccount,
        challenges: challenges(msg),
        keyPolicy: keySource === 'new' ? 'new' : 'reuse',
        keyAlgorithm: parseKeyAlgorithm(config.keyType),
        profile: config.profile || undefined,
        preferredChain: config.preferredChain || undefined,
        checkIntervalMs: intervalMs,
        onProgress,
      });
    }

    function bundleFor(stored: StoredCertificate, renewal: EnsureResult['renewal'], payload: unknown) {
      const bundle = { ...startBundle(payload), cert: stored.certPem, chain: stored.chain, fullchain: stored.fullchainPem };
      return {
        ...bundle,
        ...(stored.keyPem ? { key: stored.keyPem } : {}),
        info: inspectCertificate(stored.certPem),
        renewal: { due: renewal.due.toISOString(), source: renewal.source, explanation: renewal.explanation },
      };
    }

    function showIdle(stored: StoredCertificate, due: Date): void {
      const days = Math.floor((stored.notAfter.getTime() - Date.now()) / 86400000);
      const text = nextCheckAt
        ? RED._('certflow-acme.status.idleNext', { days, next: shortTime(nextCheckAt) })
        : RED._('certflow-acme.status.idle', { days });
      if (due.getTime() <= Date.now() || days < 7) statusWarning(node, text);
      else statusOk(node, text);
    }

    /** Issues or renews when due; sends the bundle when a certificate was issued (or always, for 'get'). */
    async function run(name: string, msg: NodeMessage, send: (m: NodeMessage) => void, identifiers: string | string[] | undefined) {
      const certificate = manager(name, msg);
      const bundle = startBundle(msg.payload);
      if (keySource === 'msg' && !bundle.key && !bundle.csr && !(await certificate.current())) {
        throw new CertflowError('ACME_NO_KEY', RED._('certflow-acme.errors.noKeyInMsg'));
      }
      const result = await certificate.ensure({
        force: msg.renew === true,
        identifiers,
        ...(keySource === 'msg' ? { keyPem: bundle.csr ? undefined : bundle.key, csrPem: bundle.csr, keyPassphrase: msg.passphrase as string | undefined } : {}),
      });
      if (result.renewed) await accountNode!.remember(await accountNode!.getAccount());
      certificates.set(name, identifiers);
      if (result.renewed || msg.topic === 'get') send({ ...msg, topic: name, payload: bundleFor(result.certificate, result.renewal, msg.payload) });
      schedule(result.renewal.due);
      showIdle(result.certificate, result.renewal.due);
    }

    let nextCheckAt: Date | undefined;
    /** The next check: after the interval (with jitter) or when renewal is due; never later than one already set. */
    function schedule(due?: Date, delayMs = jitter(intervalMs)): void {
      if (closed || config.autoRenew === false) return;
      const untilDue = due ? Math.max(due.getTime() - Date.now(), 1000) : Infinity;
      const at = Date.now() + Math.min(delayMs, untilDue, MAX_TIMER_MS);
      if (timer && nextCheckAt && nextCheckAt.getTime() <= at) return;
      clearTimeout(timer);
      nextCheckAt = new Date(at);
      timer = setTimeout(scheduledCheck, at - Date.now());
    }

    async function scheduledCheck(): Promise<void> {
      timer = undefined;
      nextCheckAt = undefined;
      for (const [name, identifiers] of certificates) {
        const msg: NodeMessage = { topic: name, payload: {} };
        try {
          const stored = await manager(name).current();
          if (!stored && !identifiers) continue;
          if (stored && !stored.keyPem && keySource === 'msg') continue; // a CSR's key is the flow's: it must send the CSR again
          await run(name, msg, (out) => node.send([out, null]), identifiers ?? stored?.identifiers.map((i) => i.value));
        } catch (err) {
          if (closed) return;
          statusError(node, err);
          node.error(err instanceof Error ? err : new Error(String(err)), msg);
          schedule(undefined, Math.min(jitter(intervalMs), HOUR)); // try again sooner, but not in a tight loop
        }
      }
    }

    handleInput(node, async (msg, send) => {
      if (dnsFlow.receive(msg)) return;
      if (!accountNode) throw new CertflowError('ACME_NO_ACCOUNT', RED._('certflow-acme.errors.noAccount'));
      if (msg.topic === 'rollover-account-key') {
        await accountNode.rolloverKey(onProgress);
        statusOk(node, RED._('certflow-acme.status.rolledOver'));
        return;
      }
      const identifiers = identifiersFrom(msg) ?? (config.identifiers?.trim() ? config.identifiers : undefined);
      const name = certificateName(identifiers);
      if (msg.topic === 'revoke') {
        await manager(name).revoke({ reason: msg.reason as string | number | undefined });
        statusWarning(node, RED._('certflow-acme.status.revoked', { name }));
      } else {
        await run(name, msg, send as (m: NodeMessage) => void, identifiers);
      }
    });

    const configuredIdentifiers = config.identifiers?.trim();
    if (configuredIdentifiers && config.autoRenew !== false) {
      try {
        certificates.set(certificateName(configuredIdentifiers), configuredIdentifiers);
        schedule(undefined, Math.min(intervalMs, 10000)); // first check soon after deploy: issue if missing, renew if due
      } catch (err) {
        statusError(node, err);
        node.error(err instanceof Error ? err : new Error(String(err)));
      }
    }

    node.on('close', (_removed, done) => {
      closed = true;
      clearTimeout(timer);
      dnsFlow.close();
      done();
    });
  }

  /** dns-01 through the flow: output 2 asks for a TXT record, the flow sends the message back. */
  function dnsRoundTrip(node: Node, timeoutMs: number) {
    const waiting = new Map<string, { resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
    function ask(action: 'set' | 'remove', record: Dns01Record): Promise<void> {
      const id = randomUUID();
      const request = { action, name: record.name, value: record.value, identifier: record.identifier, id };
      const wait = action === 'set' ? timeoutMs : Math.min(timeoutMs, 30000);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new CertflowError('ACME_DNS_FLOW_TIMEOUT', RED._('certflow-acme.errors.dnsFlowTimeout', { action, name: record.name, seconds: Math.round(wait / 1000) })));
        }, wait);
        waiting.set(id, { resolve, reject, timer });
        node.send([null, { topic: 'dns-01', payload: { ...request }, dns01: request }]);
      });
    }
    return {
      hook: { set: (r: Dns01Record) => ask('set', r), remove: (r: Dns01Record) => ask('remove', r) },
      /** True when msg is a dns-01 request coming back from the flow (it starts no order). */
      receive(msg: NodeMessage): boolean {
        const echo = (msg.dns01 ?? msg.payload) as { id?: unknown; action?: unknown; name?: unknown } | undefined;
        const id = echo && typeof echo === 'object' && (msg.dns01 || echo.action === 'set' || echo.action === 'remove') ? echo.id : undefined;
        if (typeof id !== 'string') return false;
        const entry = waiting.get(id);
        if (!entry) return true; // late (after a timeout) or from another node: ignore
        waiting.delete(id);
        clearTimeout(entry.timer);
        // an http request node leaves statusCode: an HTTP status, or a code like ECONNREFUSED
        const code = msg.statusCode;
        const failed = code !== undefined && code !== null && code !== '' && (/^\d+$/.test(String(code)) ? Number(code) >= 300 : true);
        const status = /^\d+$/.test(String(code)) ? `HTTP ${code}` : String(code);
        if (failed) entry.reject(new Error(RED._('certflow-acme.errors.dnsFlowFailed', { name: String(echo!.name ?? ''), status })));
        else entry.resolve();
        return true;
      },
      close(): void {
        for (const entry of waiting.values()) {
          clearTimeout(entry.timer);
          entry.reject(new CertflowError('ACME_CLOSED', RED._('certflow-acme.errors.closed')));
        }
        waiting.clear();
      },
    };
  }

  RED.nodes.registerType('certflow-acme', CertflowAcmeNode);
};

/** Names from msg.domains (text or list) or msg.payload.identifiers; undefined when neither is set. */
function identifiersFrom(msg: NodeMessage): string | string[] | undefined {
  const payload = msg.payload as { identifiers?: unknown } | undefined;
  const given = msg.domains ?? (payload && typeof payload === 'object' ? payload.identifiers : undefined);
  if (given === undefined || given === null || given === '') return undefined;
  if (Array.isArray(given)) return given.map((i) => (i && typeof i === 'object' ? String((i as { value?: unknown }).value) : String(i)));
  return String(given);
}

/** '14:05' today, 'Mar 3 14:05' on another day. */
function shortTime(date: Date): string {
  const time = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${date.toLocaleString('en', { month: 'short' })} ${date.getDate()} ${time}`;
}
