/**
 * Everything an order sets up to answer its challenges (registry tokens, listeners, webroot
 * files, TXT records through the hook + propagation check), torn down in reverse order, and
 * challenge failures described the way a person can act on.
 */
import { CertflowError } from '../../errors';
import { dns01RecordName } from '../identifiers';
import { stepError, type AcmeProblem } from '../problems';
import { textOf } from '../../guards';
import type { OrderRecorder } from '../order-journal';
import type { ChallengeOptions, ChallengeType, Dns01Record, ProgressCallback, AcmeIdentifier, AcmeResource } from '../types';
import { waitForTxtPropagation } from './dns01';
import { http01Registry } from './http01-registry';
import { startHttp01Listener, type Http01Listener } from './http01-standalone';
import { writeWebrootToken } from './http01-webroot';
import { startTlsAlpnListener, type TlsAlpnListener } from './tls-alpn01';

export const RESPONDER_NAMES: Record<string, string> = {
  route: 'this Node-RED',
  standalone: "this Node-RED's http-01 listener",
  webroot: 'the web server that serves the webroot',
};

/** A challenge failure as a person reads it: what failed where, and what to check. */
export function describeChallengeFailure(type: ChallengeType, label: string, problem: AcmeProblem | undefined, responder: string): string {
  if (!problem) return `${type} for ${label} failed (the CA gave no reason)`;
  const detail = problem.detail || problem.shortType;
  const address = detail.match(/(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d+)/);
  const where = address ? `${address[1]}:${address[2]}` : undefined;
  const port = address ? address[2] : type === 'http-01' ? '80' : '443';
  let text: string;
  if (/refused/i.test(detail)) {
    text = `connection refused${where ? ` at ${where}` : ''} - is port ${port} forwarded to ${responder}?`;
  } else if (problem.shortType === 'connection' || /timeout|timed out|no route|unreachable/i.test(detail)) {
    text = `the CA could not connect${where ? ` to ${where}` : ''} (${detail}) - is port ${port} open and forwarded to ${responder}?`;
  } else if (problem.shortType === 'unauthorized' || problem.shortType === 'incorrectResponse') {
    text = type.startsWith('dns-')
      ? `the CA saw a wrong or missing TXT record (${detail})`
      : `the CA got a wrong answer (${detail}) - is another server answering port ${port} instead of ${responder}?`;
  } else if (problem.shortType === 'dns') {
    text = `DNS problem at the CA: ${detail}`;
  } else {
    text = `${problem.shortType}: ${detail}`;
  }
  // Node-RED on HTTPS cannot answer the CA's plain-HTTP port 80 itself: say what does
  if (type === 'http-01' && responder === RESPONDER_NAMES.route && !/wrong answer|DNS problem/.test(text)) {
    text += ` (the CA always asks in plain HTTP on port 80: forward port 80 to Node-RED's port, or, with Node-RED on HTTPS, tick "answer on a plain-HTTP port" in the ACME node, which answers http-01 there and redirects the rest to HTTPS)`;
  }
  return `${type} for ${label} failed: ${text}`;
}

export interface Pending {
  identifier: AcmeIdentifier;
  label: string;
  type: ChallengeType;
  authz: AcmeResource;
  /** The challenge object as the CA sent it (sent back as it is to answer it). */
  challenge: Record<string, unknown>;
  keyAuthorization: string;
  /** TXT record name (dns-account-01 puts an account label first); default `_acme-challenge.<name>`. */
  recordName?: string;
  /** A continued order: an earlier holder already told the CA to look (only the result is awaited). */
  answered?: boolean;
}

/** Everything set up to answer challenges, torn down in reverse order. */
export class Responders {
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private http01Listener?: Promise<Http01Listener>;
  private tlsListener?: Promise<TlsAlpnListener>;

  constructor(
    private readonly options: ChallengeOptions,
    private readonly onProgress?: ProgressCallback,
    /** Told of each TXT record before it is set, so a crash still leaves its removal to someone. */
    private readonly recorder?: Pick<OrderRecorder, 'settingTxt'>,
  ) {}

  /** TXT records an earlier holder of the order set and never removed: removed with this order's own. */
  adoptDns(records: readonly Dns01Record[]): void {
    if (records.length === 0) return;
    const hook = this.options.dns01?.hook;
    if (!hook) {
      this.onProgress?.(`${records.length} TXT record(s) left by an earlier run stay (no DNS updater is set up): ${records[0].name}`, {
        step: 'cleanup',
        warn: true,
      });
      return;
    }
    for (const record of records) {
      this.cleanups.push(async () => {
        await hook.remove(record, { leftover: true });
      });
    }
  }

  async prepare(p: Pending): Promise<void> {
    if (p.type === 'http-01') {
      const http01 = this.options.http01 ?? { method: 'route' as const };
      if (http01.method === 'webroot') {
        this.cleanups.push(await writeWebrootToken(http01.webroot, textOf(p.challenge.token), p.keyAuthorization));
      } else if (http01.method === 'standalone') {
        if (!this.http01Listener) {
          this.http01Listener = startHttp01Listener({ host: http01.host, port: http01.port });
          this.http01Listener.then(
            (l) => this.cleanups.push(() => l.release()),
            () => undefined,
          );
        }
        const listener = await this.http01Listener;
        this.cleanups.push(listener.registry.add(textOf(p.challenge.token), p.keyAuthorization, p.label));
      } else {
        const registry = http01.registry ?? http01Registry;
        this.cleanups.push(await registry.addShared(textOf(p.challenge.token), p.keyAuthorization, p.label)); // cluster: shared before the CA looks
      }
    } else if (p.type === 'tls-alpn-01') {
      if (!this.tlsListener) {
        this.tlsListener = startTlsAlpnListener({ host: this.options.tlsAlpn01?.host, port: this.options.tlsAlpn01?.port });
        this.tlsListener.then(
          (l) => this.cleanups.push(() => l.release()),
          () => undefined,
        );
      }
      const listener = await this.tlsListener;
      this.cleanups.push(await listener.add(p.identifier, p.keyAuthorization));
    }
  }

  /**
   * dns-01 / dns-account-01: all records through the hook (in parallel: the hook orders writes
   * to one name itself), then one propagation check per record name.
   */
  async prepareDns(pending: Pending[]): Promise<void> {
    if (pending.length === 0) return;
    const dns01 = this.options.dns01!;
    const hook = dns01.hook!;
    const byName = new Map<string, Dns01Record[]>();
    const records = pending.map((p) => {
      const record: Dns01Record = { name: p.recordName ?? dns01RecordName(p.identifier), value: p.keyAuthorization, identifier: p.label };
      // register the removal first: a hook that fails half-way is still asked to clean up
      this.cleanups.push(async () => {
        await hook.remove(record);
      });
      byName.set(record.name, [...(byName.get(record.name) ?? []), record]);
      return { p, record };
    });
    const results = await Promise.allSettled(
      records.map(async ({ p, record }) => {
        await this.recorder?.settingTxt(record);
        this.onProgress?.(`${p.type} for ${p.label}: setting TXT ${record.name}`, { step: 'challenge', identifier: p.label, challenge: p.type });
        try {
          await hook.set(record);
        } catch (err) {
          throw new CertflowError(
            'ACME_DNS_HOOK_FAILED',
            `${p.type} for ${p.label}: setting TXT ${record.name} failed: ${err instanceof Error ? err.message : String(err)}`,
            {
              ...(err instanceof CertflowError ? err.details : {}),
              record: record.name,
            },
          );
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (dns01.checkPropagation === false) return;
    await Promise.all(
      [...byName.entries()].map(async ([name, list]) => {
        this.onProgress?.(`dns-01: waiting for ${name} to propagate`, { step: 'propagation', identifier: list[0].identifier, challenge: 'dns-01' });
        try {
          if (hook.waitForPropagation) {
            await hook.waitForPropagation(
              name,
              list.map((r) => r.value),
            );
          } else {
            await waitForTxtPropagation({
              name,
              values: list.map((r) => r.value),
              resolvers: dns01.resolvers,
              timeoutMs: dns01.propagationTimeoutMs,
              pollMs: dns01.propagationPollMs,
            });
          }
        } catch (err) {
          throw stepError(`dns-01 for ${list.map((r) => r.identifier).join(', ')}`, err);
        }
      }),
    );
  }

  /**
   * Runs every cleanup; failures are reported as progress, never thrown (they would hide the real
   * error). True when every one succeeded.
   */
  async cleanup(): Promise<boolean> {
    // listeners that are still opening must be released too
    await Promise.allSettled([this.http01Listener, this.tlsListener].filter((opening) => opening !== undefined));
    let clean = true;
    while (this.cleanups.length) {
      const fn = this.cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        clean = false;
        this.onProgress?.(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`, { step: 'cleanup' });
      }
    }
    return clean;
  }
}
