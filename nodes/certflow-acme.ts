/**
 * certflow-acme ("ACME certificate"): obtains and renews a certificate from an ACME CA with
 * lib/acme's CertificateManager. This file only wires Node-RED to it: config and msg in, status
 * and output. The renewal timer is lib/acme/scheduler, the http-01 route on Node-RED's port
 * common/http01-route, the dns-01 round trip through the flow common/dns01-round-trip.
 */
import { CertflowError } from '../lib/errors';
import { parseKeyAlgorithm } from '../lib/keys';
import { inspectCertificate } from '../lib/inspect';
import { CertificateManager, parseIdentifiers } from '../lib/acme';
import type { ChallengeOptions, ChallengeType, EnsureResult, ProgressDetails, StoredCertificate } from '../lib/acme';
import { RenewalScheduler } from '../lib/acme/scheduler';
import { openStorage } from '../lib/storage';
import accountModule = require('./certflow-acme-account');
import type dnsModule = require('./certflow-dns');
import { handleInput, shortTime, startBundle, statusError, statusOk, statusProgress, statusWarning } from './common';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './common';
import { dns01RoundTrip } from './common/dns01-round-trip';
import { ensureHttp01Route, type HttpNodeRuntime } from './common/http01-route';

interface AcmeConfig extends NodeDef {
  account?: string;
  certName?: string;
  identifiers?: string;
  keySource?: 'new' | 'reuse' | 'msg';
  keyType?: string;
  challengeDns?: ChallengeType;
  challengeIp?: ChallengeType;
  /** dns-01, dns-account-01 or dns-persist-01 for wildcards. */
  challengeWildcard?: ChallengeType;
  /** dns-01 TXT records: 'flow' (2nd output) or 'provider' (a certflow-dns config node). */
  dnsMethod?: 'flow' | 'provider';
  dnsProvider?: string;
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
  httpNode?: HttpNodeRuntime['httpNode'];
  nodes: NodeAPI['nodes'] & { getNode(id: string): unknown };
};

const HOUR = 3600 * 1000;

const num = (value: unknown, fallback: number) => (value === undefined || value === '' || Number.isNaN(Number(value)) ? fallback : Number(value));

export = function register(RED: RED): void {
  function CertflowAcmeNode(this: Node, config: AcmeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const accountNode = config.account ? (RED.nodes.getNode(config.account) as accountModule.AcmeAccountNode | null) : null;
    const keySource = config.keySource ?? 'new';
    const intervalMs = Math.max(num(config.checkInterval, 6), 0.0005) * HOUR;
    const dnsFlow = dns01RoundTrip({ send: (msg) => node.send([null, msg]), timeoutMs: num(config.dnsFlowTimeout, 120) * 1000, text: (key, substitutions) => RED._(key, substitutions) });
    /** Certificates this node keeps current: name -> identifiers (undefined = the stored ones). */
    const certificates = new Map<string, string | string[] | undefined>();
    const scheduler = new RenewalScheduler({ intervalMs, enabled: config.autoRenew !== false, check: scheduledCheck });
    let closed = false;

    const http01Method = config.http01Method ?? 'route';
    if (http01Method === 'route') ensureHttp01Route(RED, node);

    function onProgress(text: string, details?: ProgressDetails): void {
      if (closed) return;
      if (details?.step === 'cleanup') node.warn(text);
      else statusProgress(node, text);
    }

    /** The dns-01 hook: the DNS provider config node's, or the round trip through the flow. */
    function dnsHook(resolvers: string[]) {
      if (config.dnsMethod !== 'provider') return dnsFlow.hook;
      const provider = config.dnsProvider ? (RED.nodes.getNode(config.dnsProvider) as dnsModule.DnsProviderNode | null) : null;
      if (!provider) throw new CertflowError('ACME_NO_DNS_PROVIDER', RED._('certflow-acme.errors.noDnsProvider'));
      return provider.hook({ resolvers: resolvers.length ? resolvers : undefined, propagationTimeoutMs: num(config.dnsTimeout, 120) * 1000, onProgress });
    }

    function challenges(msg?: NodeMessage): ChallengeOptions {
      const resolvers = String(config.dnsResolvers ?? '').split(/[\s,]+/).filter(Boolean);
      return {
        defaults: { dns: config.challengeDns || 'http-01', wildcard: config.challengeWildcard || 'dns-01', ip: config.challengeIp || 'http-01' },
        perIdentifier: msg && typeof msg.challenges === 'object' ? (msg.challenges as Record<string, ChallengeType>) : undefined,
        http01:
          http01Method === 'webroot' ? { method: 'webroot', webroot: String(config.webroot ?? '') }
          : http01Method === 'standalone' ? { method: 'standalone', host: config.http01Host || undefined, port: num(config.http01Port, 80) }
          : { method: 'route' },
        tlsAlpn01: { host: config.tlsAlpnHost || undefined, port: num(config.tlsAlpnPort, 443) },
        dns01: {
          hook: dnsHook(resolvers),
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

    /** The certificate's manager; it keeps the certificate in its record of the userDir's storage. */
    async function manager(name: string, msg?: NodeMessage): Promise<CertificateManager> {
      if (!accountNode) throw new CertflowError('ACME_NO_ACCOUNT', RED._('certflow-acme.errors.noAccount'));
      return new CertificateManager({
        name,
        storage: await openStorage(accountModule.userDirOf(RED)),
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

    /** The bundle sent on; `record` names the certificate's record, so an https node can follow it. */
    function bundleFor(name: string, stored: StoredCertificate, renewal: EnsureResult['renewal'], payload: unknown) {
      const bundle = { ...startBundle(payload), cert: stored.certPem, chain: stored.chain, fullchain: stored.fullchainPem, record: name };
      return {
        ...bundle,
        ...(stored.keyPem ? { key: stored.keyPem } : {}),
        info: inspectCertificate(stored.certPem),
        renewal: { due: renewal.due.toISOString(), source: renewal.source, explanation: renewal.explanation },
      };
    }

    function showIdle(stored: StoredCertificate, due: Date): void {
      const days = Math.floor((stored.notAfter.getTime() - Date.now()) / 86400000);
      const next = scheduler.nextCheckAt;
      const text = next
        ? RED._('certflow-acme.status.idleNext', { days, next: shortTime(next) })
        : RED._('certflow-acme.status.idle', { days });
      if (due.getTime() <= Date.now() || days < 7) statusWarning(node, text);
      else statusOk(node, text);
    }

    /** Issues or renews when due; sends the bundle when a certificate was issued (or always, for 'get'). */
    async function run(name: string, msg: NodeMessage, send: (m: NodeMessage) => void, identifiers: string | string[] | undefined) {
      const certificate = await manager(name, msg);
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
      if (result.renewed || msg.topic === 'get') send({ ...msg, topic: name, payload: bundleFor(name, result.certificate, result.renewal, msg.payload) });
      scheduler.schedule(result.renewal.due);
      showIdle(result.certificate, result.renewal.due);
    }

    /** The renewal timer's work: each certificate is issued if missing, renewed if due. */
    async function scheduledCheck(): Promise<void> {
      for (const [name, identifiers] of certificates) {
        const msg: NodeMessage = { topic: name, payload: {} };
        try {
          const stored = await (await manager(name)).current();
          if (!stored && !identifiers) continue;
          if (stored && !stored.keyPem && keySource === 'msg') continue; // a CSR's key is the flow's: it must send the CSR again
          await run(name, msg, (out) => node.send([out, null]), identifiers ?? stored?.identifiers.map((i) => i.value));
        } catch (err) {
          if (closed) return;
          statusError(node, err);
          node.error(err instanceof Error ? err : new Error(String(err)), msg);
          scheduler.retrySoon();
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
        await (await manager(name)).revoke({ reason: msg.reason as string | number | undefined });
        statusWarning(node, RED._('certflow-acme.status.revoked', { name }));
      } else {
        await run(name, msg, send as (m: NodeMessage) => void, identifiers);
      }
    });

    const configuredIdentifiers = config.identifiers?.trim();
    if (configuredIdentifiers && config.autoRenew !== false) {
      try {
        certificates.set(certificateName(configuredIdentifiers), configuredIdentifiers);
        scheduler.startSoon(); // issue if missing, renew if due
      } catch (err) {
        statusError(node, err);
        node.error(err instanceof Error ? err : new Error(String(err)));
      }
    }

    node.on('close', (_removed, done) => {
      closed = true;
      scheduler.stop();
      dnsFlow.close();
      done();
    });
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

