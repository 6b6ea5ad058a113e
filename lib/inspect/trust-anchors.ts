/** The trust anchors a chain is judged against: Node's root store, given PEMs, or a bundle's own `ca`. */
import { rootCertificates } from 'node:tls';
import { parseCertificate } from './certificate-facts';
import { TrustAnchor, TrustAnchorSet } from './chain';
import { decodeInput, type DecodedItem } from './pem';

/** 'system' (Node's root store, the default), 'none', or PEM certificates to trust. */
export type TrustAnchorChoice = string[] | 'system' | 'none' | (string & {});

let systemAnchors: TrustAnchor[] | undefined;

/** Node's bundled root store (the Mozilla list), parsed once. */
function systemTrustAnchors(): TrustAnchor[] {
  if (!systemAnchors) {
    systemAnchors = [];
    for (const pem of rootCertificates) {
      try {
        systemAnchors.push({ ...parseCertificate(decodeInput(pem)[0].der), source: 'system' });
      } catch {
        // a root our reader cannot decode cannot anchor anything we read either
      }
    }
  }
  return systemAnchors;
}

export function trustAnchorsFor(trustAnchors: TrustAnchorChoice | undefined, items: DecodedItem[]): TrustAnchorSet {
  const choice = trustAnchors ?? 'system';
  const given = choice === 'system' ? 'system' : choice === 'none' ? 'none' : 'given';
  const set = new TrustAnchorSet(given);
  if (given === 'system') for (const anchor of systemTrustAnchors()) set.add(anchor);
  if (given === 'given') {
    const pems = Array.isArray(choice) ? choice : [choice];
    for (const item of decodeInput(pems.join('\n'), { source: 'the trust anchors' }).filter((i) => i.kind === 'certificate')) {
      set.add({ ...parseCertificate(item.der), source: 'given' });
    }
  }
  // A bundle's `ca` is the root its owner trusts (e.g. a local CA): it anchors that bundle.
  if (given !== 'none') {
    for (const item of items.filter((i) => i.kind === 'certificate' && i.field === 'ca'))
      set.add({ ...parseCertificate(item.der), source: 'bundle' });
  }
  return set;
}
