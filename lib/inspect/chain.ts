/**
 * Chain checks: is the list in order (each certificate issued by the next), does every link's
 * signature verify, does it end at a root, and which trust anchor (given, or Node's root store)
 * vouches for it. Signatures are checked natively with X509Certificate.verify.
 *
 * Works on already-parsed certificates (see certificate-facts.ts), so a 1,000-certificate bundle costs
 * name comparisons, plus one signature check per real link.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';

/** What chain analysis needs to know of a certificate. */
export interface ChainCertificate {
  /** Short name for messages: 'CN=example.com'. */
  label: string;
  subject: string;
  issuer: string;
  /** Name comparison keys: equal keys mean the same name under RFC 5280 section 7.1 (see distinguished-name.ts). */
  subjectKey: string;
  issuerKey: string;
  subjectKeyId?: string;
  authorityKeyId?: string;
  isCa: boolean;
  notBefore: Date;
  notAfter: Date;
  fingerprint256: string;
  spkiSha256: string;
  /** Node's parse of the certificate, made on first use. */
  x509(): X509Certificate;
  publicKey(): KeyObject;
}

export type AnchorSource = 'given' | 'system' | 'bundle';

export interface TrustAnchor extends ChainCertificate {
  source: AnchorSource;
}

export interface ChainLink {
  /** 1-based position of the certificate. */
  certificate: number;
  /** 1-based position of its issuer in the list, when the issuer is in it. */
  issuer: number | null;
  /** The next certificate in the list is its issuer (names match and the signature verifies). */
  issuedByNext: boolean;
  /** Whether the issuer's key verifies its signature; null when no issuer was found. */
  signatureValid: boolean | null;
}

export interface ChainReport {
  /** True when no problem was found. */
  ok: boolean;
  /** 'chain OK, trusted via CN=ISRG Root X1', or the first problem in a few words. */
  summary: string;
  length: number;
  /** 1-based position of the leaf: the certificate that issued none of the others. */
  leaf: number;
  /** Each certificate is issued by the one after it. */
  orderCorrect: boolean;
  /** Every certificate whose issuer is in the list (or is an anchor) has a verified signature. */
  signaturesValid: boolean;
  links: ChainLink[];
  /** 1-based positions from the first certificate up to the last one reached through issuers. */
  path: number[];
  /** The path ends at a self-signed certificate whose signature verifies. */
  endsAtRoot: boolean;
  /** The path leads to a trust anchor; null when trust was not checked. */
  trusted: boolean | null;
  /** Which anchors were consulted: the given PEM list, Node's root store, or none. */
  trustStore: 'given' | 'system' | 'none';
  trustAnchor?: { subject: string; fingerprint256: string; source: AnchorSource; notAfter: string };
  problems: string[];
}

/** Trust anchors indexed by subject name. */
export class TrustAnchorSet {
  private readonly bySubject = new Map<string, TrustAnchor[]>();
  private readonly byFingerprint = new Map<string, TrustAnchor>();
  constructor(
    readonly store: 'given' | 'system' | 'none',
    anchors: TrustAnchor[] = [],
  ) {
    for (const anchor of anchors) this.add(anchor);
  }
  add(anchor: TrustAnchor): void {
    if (this.byFingerprint.has(anchor.fingerprint256)) return;
    this.byFingerprint.set(anchor.fingerprint256, anchor);
    const list = this.bySubject.get(anchor.subjectKey) ?? [];
    list.push(anchor);
    this.bySubject.set(anchor.subjectKey, list);
  }
  withSubject(subjectKey: string): TrustAnchor[] {
    return this.bySubject.get(subjectKey) ?? [];
  }
  /** The anchor that is this very certificate (same bytes, or same name and key: a re-issued root). */
  sameAs(cert: ChainCertificate): TrustAnchor | undefined {
    return this.byFingerprint.get(cert.fingerprint256) ?? this.withSubject(cert.subjectKey).find((a) => a.spkiSha256 === cert.spkiSha256);
  }
  get size(): number {
    return this.byFingerprint.size;
  }
}

const MAX_LISTED = 3;

/** Checks a list of certificates given leaf first. */
export function analyzeChain(certs: ChainCertificate[], opts: { anchors?: TrustAnchorSet; now: Date }): ChainReport {
  const anchors = opts.anchors ?? new TrustAnchorSet('none');
  const problems: string[] = [];
  let status: string | undefined; // the first problem, in a few words, for the one-line summary
  const note = (short: string) => {
    status ??= short;
  };
  const verified = new Map<string, boolean>();
  const signs = (issuer: ChainCertificate, cert: ChainCertificate, key: string): boolean => {
    let result = verified.get(key);
    if (result === undefined) {
      result = namesLink(cert, issuer) && verifySignature(cert, issuer);
      verified.set(key, result);
    }
    return result;
  };
  const bySubject = new Map<string, number[]>();
  certs.forEach((c, i) => {
    const list = bySubject.get(c.subjectKey);
    if (list) list.push(i);
    else bySubject.set(c.subjectKey, [i]);
  });

  // Each certificate's issuer within the list: the next one if it fits, else any that verifies.
  const issuerOf: (number | null)[] = certs.map((cert, i) => {
    if (isSelfIssued(cert)) return null;
    if (i + 1 < certs.length && certs[i + 1].subjectKey === cert.issuerKey && signs(certs[i + 1], cert, `${i + 1}>${i}`)) return i + 1;
    for (const j of bySubject.get(cert.issuerKey) ?? []) {
      if (j !== i && signs(certs[j], cert, `${j}>${i}`)) return j;
    }
    // names match but no key verifies: remember the name match to report a bad signature
    const candidate = (bySubject.get(cert.issuerKey) ?? []).find((j) => j !== i);
    return candidate === undefined ? null : -1 - candidate;
  });

  const links: ChainLink[] = [];
  const badSignature: string[] = [];
  for (let i = 0; i < certs.length; i++) {
    const found = issuerOf[i];
    const issuer = found === null ? null : found >= 0 ? found : -1 - found;
    if (i < certs.length - 1) {
      links.push({
        certificate: i + 1,
        issuer: issuer === null ? null : issuer + 1,
        issuedByNext: found === i + 1,
        signatureValid: found === null ? null : found >= 0,
      });
    }
    if (found !== null && found < 0) {
      badSignature.push(
        `the signature of certificate ${i + 1} (${certs[i].label}) does not verify with the key of certificate ${issuer! + 1} (${certs[issuer!].label}), which has its issuer's name`,
      );
    }
  }

  // The leaf is the certificate that issued none of the others (the first one, when in order).
  const issuedSomething = new Set(issuerOf.filter((j): j is number => j !== null && j >= 0));
  const leaf = !issuedSomething.has(0)
    ? 0
    : Math.max(
        0,
        certs.findIndex((_, i) => !issuedSomething.has(i)),
      );
  const path: number[] = [];
  const onPath = new Set<number>();
  for (let i: number | null = leaf; i !== null && i >= 0 && !onPath.has(i); i = issuerOf[i]) {
    path.push(i);
    onPath.add(i);
  }
  const inOrder = path.every((p, k) => p === k);
  if (!inOrder) {
    const order = path.map((i) => `${i + 1} (${certs[i].label})`).join(', then ');
    problems.push(`wrong order: leaf first, each certificate followed by its issuer, is ${order}`);
    note('chain in wrong order');
  }
  problems.push(...badSignature.slice(0, MAX_LISTED));
  if (badSignature.length) note('a signature in the chain does not verify');
  const top = path.length ? certs[path[path.length - 1]] : undefined;
  const endsAtRoot = top !== undefined && isSelfIssued(top) && signs(top, top, 'self');

  // Issuers must be CAs.
  for (const i of path) {
    const j = issuerOf[i];
    if (j !== null && j >= 0 && !certs[j].isCa) {
      problems.push(`certificate ${j + 1} (${certs[j].label}) signed certificate ${i + 1} but is not a CA (basicConstraints CA:FALSE or missing)`);
      note(`issuer ${certs[j].label} is not a CA`);
    }
  }

  // Trust: the top is an anchor itself, or an anchor signed it.
  let trusted: boolean | null = null;
  let anchor: TrustAnchor | undefined;
  if (top && anchors.store !== 'none') {
    anchor = anchors.sameAs(top);
    if (!anchor && !isSelfIssued(top)) {
      anchor = anchors.withSubject(top.issuerKey).find((a) => namesLink(top, a) && verifySignature(top, a));
    }
    trusted = anchor !== undefined;
    if (!trusted) {
      const where = anchors.store === 'system' ? "Node's root store" : 'the given trust anchors';
      if (endsAtRoot) {
        problems.push(`the chain ends at the root "${top.subject}", which is not in ${where}`);
        note(`chain ends at untrusted root ${top.label}`);
      } else if (isSelfIssued(top)) {
        problems.push(`the chain ends at "${top.subject}", which names itself as issuer but its signature does not verify`);
        note(`chain ends at a broken root ${top.label}`);
      }
    } else if (anchor && anchor.notAfter < opts.now) {
      problems.push(`the trust anchor "${anchor.subject}" expired on ${day(anchor.notAfter)}`);
      note(`trust anchor ${anchor.label} expired`);
    }
  }

  // Issuers nobody in the list (nor an anchor) provides: the missing intermediate.
  const missing = new Map<string, number[]>();
  certs.forEach((cert, i) => {
    if (issuerOf[i] !== null || isSelfIssued(cert)) return;
    if (top === cert && anchor) return; // its issuer is the trust anchor
    const list = missing.get(cert.issuer) ?? [];
    list.push(i + 1);
    missing.set(cert.issuer, list);
  });
  for (const [issuer, needed] of missing) {
    const who = needed.length === 1 ? `certificate ${needed[0]} (${certs[needed[0] - 1].label})` : `certificates ${numbersAndMore(needed)}`;
    problems.push(
      `issuer "${issuer}" not found in the chain (needed by ${who}): add the intermediate certificate${anchors.store === 'none' ? '' : ' or trust its root'}`,
    );
    note(`issuer "${issuer}" not found in the chain`);
  }

  // Certificates the path does not use, and that issued nothing on it.
  const unused = certs.map((_, i) => i).filter((i) => !onPath.has(i));
  if (unused.length) {
    problems.push(
      `${unused.length === 1 ? `certificate ${unused[0] + 1} (${certs[unused[0]].label}) is` : `certificates ${numbersAndMore(unused.map((i) => i + 1))} are`} not part of the chain of certificate ${leaf + 1} (${certs[leaf].label})`,
    );
    note(`${unused.length} certificate${unused.length === 1 ? '' : 's'} not part of the chain`);
  }

  // Validity of every certificate given.
  const expiry: string[] = [];
  certs.forEach((cert, i) => {
    if (cert.notAfter < opts.now) expiry.push(`certificate ${i + 1} (${cert.label}) expired on ${day(cert.notAfter)}`);
    else if (cert.notBefore > opts.now) expiry.push(`certificate ${i + 1} (${cert.label}) is not valid before ${day(cert.notBefore)}`);
  });
  if (expiry.length) {
    problems.push(listAndMore(expiry));
    note(expiry[0].replace(/ on \d{4}-\d\d-\d\d$/, '').replace(/ before \d{4}-\d\d-\d\d$/, ' yet'));
  }

  const orderCorrect = inOrder && unused.length === 0 && badSignature.length === 0;
  return {
    ok: problems.length === 0,
    summary: status ?? (anchor ? `chain OK, trusted via ${anchor.label}` : 'chain OK'),
    length: certs.length,
    leaf: leaf + 1,
    orderCorrect,
    signaturesValid: badSignature.length === 0 && (!top || !isSelfIssued(top) || endsAtRoot),
    links,
    path: path.map((i) => i + 1),
    endsAtRoot,
    trusted,
    trustStore: anchors.store,
    ...(anchor
      ? {
          trustAnchor: {
            subject: anchor.subject,
            fingerprint256: anchor.fingerprint256,
            source: anchor.source,
            notAfter: anchor.notAfter.toISOString(),
          },
        }
      : {}),
    problems,
  };
}

/** Subject and issuer names are the same (and SKI/AKI, when both present, agree). */
export function isSelfIssued(cert: ChainCertificate): boolean {
  return namesLink(cert, cert);
}

/** The issuer's name (and key identifier, when both carry one) is what the certificate names. */
function namesLink(cert: ChainCertificate, issuer: ChainCertificate): boolean {
  if (cert.issuerKey !== issuer.subjectKey) return false;
  return !cert.authorityKeyId || !issuer.subjectKeyId || cert.authorityKeyId === issuer.subjectKeyId;
}

function verifySignature(cert: ChainCertificate, issuer: ChainCertificate): boolean {
  try {
    return cert.x509().verify(issuer.publicKey());
  } catch {
    return false; // a key type OpenSSL cannot use for this signature
  }
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function listAndMore(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).join('; ');
  return items.length > MAX_LISTED ? `${shown}; and ${items.length - MAX_LISTED} more` : shown;
}

function numbersAndMore(numbers: number[]): string {
  if (numbers.length <= MAX_LISTED + 1) return `${numbers.slice(0, -1).join(', ')} and ${numbers[numbers.length - 1]}`;
  return `${numbers.slice(0, MAX_LISTED).join(', ')} and ${numbers.length - MAX_LISTED} more`;
}
