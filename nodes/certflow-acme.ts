/**
 * certflow-acme ("ACME certificate"): obtains and renews a certificate from an ACME CA with
 * lib/acme's CertificateManager. This file only wires Node-RED to it: config and msg in, status
 * and output. The renewal timer is lib/acme/scheduler, the http-01 route on Node-RED's port
 * common/http01-route, the dns-01 round trip through the flow common/dns01-round-trip.
 */
import { CertflowError } from '../lib/errors';
import type {
  CertificateManager,
  ChallengeOptions,
  ChallengeType,
  EnsureResult,
  Http01RedirectListener,
  ProgressDetails,
  StoredCertificate,
} from '../lib/acme';
import { isObject, objectOf, textOf } from '../lib/guards';
import { userDirOf, type AcmeAccountNode } from './certflow-acme-account';
import type { DnsProviderNode } from './certflow-dns';
import { handleInput, requiredProblem, shortTime, startBundle, statusError, statusOk, statusProgress, statusWarning } from './common';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './common';
import { dns01RoundTrip } from './common/dns01-round-trip';
import { ensureHttp01Route, type HttpNodeRuntime } from './common/http01-route';
import { shareChallengeTokens } from './common/cluster-storage';
import { trackDeliveries, type HooksApi } from './common/acme-delivery';
import { loadAcme, loadInspect, loadPki, loadStorage } from './common/lib';

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
  /** With http-01 through Node-RED: a plain-HTTP listener answering http-01, redirecting the rest to Node-RED. */
  http01Redirect?: boolean;
  http01RedirectPort?: string | number;
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
  server?: { address(): unknown; setSecureContext?: unknown };
  hooks?: HooksApi;
  util: { generateId(): string };
};

const HOUR = 3600 * 1000;

const num = (value: unknown, fallback: number) => (value === undefined || value === '' || Number.isNaN(Number(value)) ? fallback : Number(value));

export = function register(RED: RED): void {
  function CertflowAcmeNode(this: Node, config: AcmeConfig) {
    RED.nodes.createNode(this, config);
    setUpAcmeNode(this, config);
  }

  function setUpAcmeNode(node: Node, config: AcmeConfig): void {
    // deploying an ACME node is what loads the ACME code (acme-client, x509): a start without one stays light
    const { CertificateManager, RenewalScheduler, failureReport, parseIdentifiers, sameIdentifiers, startHttp01RedirectListener } = loadAcme();
    const { openStorage } = loadStorage();
    const accountNode = config.account ? (RED.nodes.getNode(config.account) as AcmeAccountNode | null) : null;
    const keySource = config.keySource ?? 'new';
    const intervalMs = Math.max(num(config.checkInterval, 6), 0.0005) * HOUR;
    const dnsFlow = dns01RoundTrip({
      send: (msg) => node.send([null, msg]),
      timeoutMs: num(config.dnsFlowTimeout, 120) * 1000,
      text: (key, substitutions) => RED._(key, substitutions),
    });
    /** Certificates this node keeps current: name -> identifiers (undefined = the stored ones). */
    const certificates = new Map<string, string | string[] | undefined>();
    const scheduler = new RenewalScheduler({ intervalMs, enabled: config.autoRenew !== false, check: scheduledCheck });
    let closed = false;
    /** Per certificate: the step of the run in progress (for a failure report) and failures in a row. */
    const stages = new Map<string, string>();
    const failures = new Map<string, number>();
    const deliveries = trackDeliveries(node, RED.hooks, (config as { wires?: string[][] }).wires?.[0] ?? [], () => RED.util.generateId());

    const http01Method = config.http01Method ?? 'route';
    // Node-RED on HTTPS: the CA's http-01 check still comes in plain HTTP to port 80 (lib/acme/challenges/http01-redirect)
    const redirectListener: Promise<Http01RedirectListener | undefined> =
      http01Method === 'route' && config.http01Redirect
        ? startHttp01RedirectListener({ port: num(config.http01RedirectPort, 80), target: redirectTarget }).catch((err: unknown) => {
            if (!closed) {
              statusError(node, err);
              node.error(err instanceof Error ? err : new Error(String(err)));
            }
            return undefined;
          })
        : Promise.resolve(undefined);

    /** Node-RED's own server, where the plain-HTTP listener sends everything but http-01. */
    function redirectTarget() {
      const address = RED.server?.address();
      if (!address || typeof address !== 'object') return undefined;
      return {
        protocol: typeof RED.server?.setSecureContext === 'function' ? ('https' as const) : ('http' as const),
        port: (address as { port: number }).port,
      };
    }
    if (http01Method === 'route') {
      ensureHttp01Route(RED, node);
      void shareChallengeTokens(userDirOf(RED)); // cluster: answer every instance's tokens
    }

    function onProgress(text: string, details?: ProgressDetails): void {
      if (closed) return;
      if (details?.step === 'cleanup' || details?.warn) node.warn(text);
      else statusProgress(node, text);
    }

    /** The dns-01 hook: the DNS provider config node's, or the round trip through the flow. */
    function dnsHook(resolvers: string[]) {
      if (config.dnsMethod !== 'provider') return dnsFlow.hook;
      const provider = config.dnsProvider ? (RED.nodes.getNode(config.dnsProvider) as DnsProviderNode | null) : null;
      if (!provider) throw new CertflowError('ACME_NO_DNS_PROVIDER', RED._('certflow-acme.errors.noDnsProvider'));
      return provider.hook({
        resolvers: resolvers.length ? resolvers : undefined,
        propagationTimeoutMs: num(config.dnsTimeout, 120) * 1000,
        onProgress,
      });
    }

    function challenges(msg?: NodeMessage): ChallengeOptions {
      const resolvers = String(config.dnsResolvers ?? '')
        .split(/[\s,]+/)
        .filter(Boolean);
      return {
        defaults: { dns: config.challengeDns || 'http-01', wildcard: config.challengeWildcard || 'dns-01', ip: config.challengeIp || 'http-01' },
        perIdentifier: msg && typeof msg.challenges === 'object' ? (msg.challenges as Record<string, ChallengeType>) : undefined,
        http01:
          http01Method === 'webroot'
            ? { method: 'webroot', webroot: String(config.webroot ?? '') }
            : http01Method === 'standalone'
              ? { method: 'standalone', host: config.http01Host || undefined, port: num(config.http01Port, 80) }
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
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(given))
          throw new CertflowError('ACME_BAD_NAME', RED._('certflow-acme.errors.badName', { name: given }));
        return given;
      }
      if (!identifiers || identifiers.length === 0) throw new CertflowError('ACME_NO_IDENTIFIERS', RED._('certflow-acme.errors.noIdentifiers'));
      return parseIdentifiers(identifiers)[0]
        .value.replace(/^\*\./, 'wildcard.')
        .replace(/[^A-Za-z0-9._-]/g, '_');
    }

    /** The certificate's manager; it keeps the certificate in its record of the userDir's storage. */
    async function manager(name: string, msg?: NodeMessage): Promise<CertificateManager> {
      if (!accountNode) throw new CertflowError('ACME_NO_ACCOUNT', RED._('certflow-acme.errors.noAccount'));
      return new CertificateManager({
        name,
        storage: await openStorage(userDirOf(RED)),
        account: accountNode.getAccount,
        challenges: challenges(msg),
        keyPolicy: keySource === 'new' ? 'new' : 'reuse',
        keyAlgorithm: loadPki().parseKeyAlgorithm(config.keyType),
        profile: config.profile || undefined,
        preferredChain: config.preferredChain || undefined,
        checkIntervalMs: intervalMs,
        onProgress: (text, details) => {
          if (details?.step && details.step !== 'cleanup') stages.set(name, details.step);
          onProgress(text, details);
        },
      });
    }

    /** The bundle sent on; `record` names the certificate's record, so an https node can follow it. */
    function bundleFor(name: string, stored: StoredCertificate, renewal: EnsureResult['renewal'], payload: unknown) {
      const bundle = { ...startBundle(payload), cert: stored.certPem, chain: stored.chain, fullchain: stored.fullchainPem, record: name };
      return {
        ...bundle,
        ...(stored.keyPem ? { key: stored.keyPem } : {}),
        info: loadInspect().inspectCertificate(stored.certPem),
        renewal: { due: renewal.due.toISOString(), source: renewal.source, explanation: renewal.explanation },
      };
    }

    function showIdle(stored: StoredCertificate, due: Date): void {
      const days = Math.floor((stored.notAfter.getTime() - Date.now()) / 86400000);
      const next = scheduler.nextCheckAt;
      const text = next ? RED._('certflow-acme.status.idleNext', { days, next: shortTime(next) }) : RED._('certflow-acme.status.idle', { days });
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
        ...(keySource === 'msg'
          ? { keyPem: bundle.csr ? undefined : bundle.key, csrPem: bundle.csr, keyPassphrase: msg.passphrase as string | undefined }
          : {}),
      });
      if (result.renewed) await accountNode!.remember(await accountNode!.getAccount());
      certificates.set(name, identifiers);
      failures.delete(name);
      if (result.renewed || msg.topic === 'get') sendBundle(name, certificate, result.certificate, result.renewal, msg, send);
      scheduler.schedule(result.renewal.due);
      showIdle(result.certificate, result.renewal.due);
    }

    /** The certificate's record only (no challenges set up: reading it needs no DNS provider or listener). */
    async function storedOnly(name: string): Promise<CertificateManager> {
      return new CertificateManager({
        name,
        storage: await openStorage(userDirOf(RED)),
        account: accountNode!.getAccount,
        checkIntervalMs: intervalMs,
      });
    }

    /** Sends a certificate on output 1; once the wired nodes have it, its record remembers that. */
    function sendBundle(
      name: string,
      certificate: CertificateManager,
      stored: StoredCertificate,
      renewal: EnsureResult['renewal'],
      msg: NodeMessage,
      send: (m: NodeMessage) => void,
    ) {
      const out = { ...msg, topic: name, payload: bundleFor(name, stored, renewal, msg.payload) };
      send(
        deliveries.track(out, name, () => {
          certificate.markDelivered(stored).catch((err: unknown) => node.warn(err instanceof Error ? err.message : String(err)));
        }),
      );
    }

    /** A failed order or renewal, on output 3: what failed, the CA's problem, the next try, the days left. */
    async function reportFailure(
      name: string,
      identifiers: string | string[] | undefined,
      err: unknown,
      send: (msgs: (NodeMessage | null)[]) => void,
    ) {
      const count = (failures.get(name) ?? 0) + 1;
      failures.set(name, count);
      const stored = accountNode
        ? await storedOnly(name)
            .then((m) => m.current())
            .catch(() => undefined)
        : undefined;
      let names: string[];
      try {
        names = parseIdentifiers(identifiers ?? stored?.identifiers ?? []).map((i) => i.value);
      } catch {
        names = typeof identifiers === 'string' ? [identifiers] : (identifiers ?? []);
      }
      const payload = failureReport(err, {
        certificate: name,
        identifiers: names,
        stage: stages.get(name),
        nextRetry: certificates.has(name) ? scheduler.nextCheckAt : undefined,
        notAfter: stored?.notAfter,
        failures: count,
      });
      send([null, null, { topic: name, payload }]);
    }

    /** The renewal timer's work: each certificate is issued if missing, renewed if due. */
    async function scheduledCheck(): Promise<void> {
      for (const [name, identifiers] of certificates) {
        const msg: NodeMessage = { topic: name, payload: {} };
        try {
          const stored = await (await manager(name)).current();
          if (!stored && !identifiers) continue;
          if (stored && !stored.keyPem && keySource === 'msg') continue; // a CSR's key is the flow's: it must send the CSR again
          await run(name, msg, (out) => node.send([out, null, null]), identifiers ?? stored?.identifiers.map((i) => i.value));
        } catch (err) {
          if (closed) return;
          statusError(node, err);
          node.error(err instanceof Error ? err : new Error(String(err)), msg);
          scheduler.retrySoon();
          await reportFailure(name, identifiers, err, (msgs) => node.send(msgs));
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
        stages.delete(name);
        try {
          await run(name, msg, send, identifiers);
        } catch (err) {
          if (!closed && certificates.has(name)) scheduler.retrySoon(); // kept current by the timer: it tries again
          if (!closed) await reportFailure(name, identifiers, err, send);
          throw err;
        }
      }
    });

    /**
     * At deploy: a certificate stored but never handed to the flow (a stop came between the
     * store and the install) is sent now; then the first check - at once when nothing is stored
     * for these names, else within 10 s.
     */
    async function startUp(name: string, identifiers: string): Promise<void> {
      await redirectListener; // the CA's http-01 check may come through it
      if (closed) return;
      const certificate = await storedOnly(name);
      const pending = await certificate.undelivered();
      if (pending && !closed) {
        sendBundle(name, certificate, pending.certificate, pending.renewal, { payload: {} }, (out) => node.send([out, null, null]));
        showIdle(pending.certificate, pending.renewal.due);
      }
      const stored = pending?.certificate ?? (await certificate.current());
      if (config.autoRenew !== false) scheduler.startSoon(!!stored && sameIdentifiers(stored.identifiers, parseIdentifiers(identifiers)));
    }

    const configuredIdentifiers = config.identifiers?.trim();
    // Names are required in the dialog (the same table as the editor's); a msg.domains still works
    const namesMissing = requiredProblem(RED, 'certflow-acme', config);
    if (namesMissing) statusError(node, namesMissing);
    if (configuredIdentifiers) {
      try {
        const name = certificateName(configuredIdentifiers);
        if (config.autoRenew !== false) certificates.set(name, configuredIdentifiers);
        if (accountNode) {
          startUp(name, configuredIdentifiers).catch((err: unknown) => {
            if (closed) return;
            statusError(node, err);
            node.error(err instanceof Error ? err : new Error(String(err)));
            if (config.autoRenew !== false) scheduler.startSoon(false); // the check reports what is wrong, and retries
          });
        } else if (config.autoRenew !== false) {
          scheduler.startSoon(false); // the check says that the account is missing
        }
      } catch (err) {
        statusError(node, err);
        node.error(err instanceof Error ? err : new Error(String(err)));
      }
    }

    node.on('close', (_removed, done) => {
      closed = true;
      scheduler.stop();
      dnsFlow.close();
      deliveries.close();
      void redirectListener.then((listener) => listener?.release()).finally(() => done());
    });
  }

  RED.nodes.registerType('certflow-acme', CertflowAcmeNode);
};

/** Names from msg.domains (text or list) or msg.payload.identifiers; undefined when neither is set. */
function identifiersFrom(msg: NodeMessage): string | string[] | undefined {
  const given = msg.domains ?? objectOf(msg.payload).identifiers;
  if (given === undefined || given === null || given === '') return undefined;
  if (Array.isArray(given)) return given.map((i: unknown) => (isObject(i) ? textOf(i.value) : textOf(i)));
  return textOf(given);
}
