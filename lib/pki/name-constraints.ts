/**
 * X.509 name constraints (RFC 5280, 4.2.1.10): the names a CA may sign certificates for. A
 * client that trusts a constrained CA refuses any certificate it signs for another name, so a
 * stolen key of, say, a local CA cannot impersonate public web sites.
 *
 * The extension is encoded with @peculiar/asn1-x509's NameConstraints schema (what
 * @peculiar/x509 is built on; x509 2.x has no ready-made class for this one) and carried by
 * x509.Extension. Matching follows RFC 5280 as OpenSSL, browsers and Go do it:
 *  - dNSName "example.lan" covers example.lan and every name below it; ".example.lan" (leading
 *    dot, the common extension of the RFC) covers only the names below it;
 *  - iPAddress is an address and a mask (CIDR), of the same family as the name;
 *  - a name of a type with no constraint (e-mail, URI here) is not limited.
 */
import { BlockList, isIP } from 'node:net';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509';
import { CertflowError } from '../errors';
import type { AltName } from './names';
import { x509, type X509Extension } from './x509';

type X509Cert = InstanceType<typeof x509.X509Certificate>;

/** DNS names (see above) and IP ranges in CIDR form ('10.0.0.0/8', '::1/128'). */
export interface NameSubtrees {
  dns?: string[];
  ip?: string[];
}

export interface NameConstraintsSpec {
  permitted?: NameSubtrees;
  excluded?: NameSubtrees;
}

/** The nameConstraints extension, critical as RFC 5280 requires. */
export function nameConstraintsExtension(spec: NameConstraintsSpec): X509Extension {
  const subtrees = (names: NameSubtrees | undefined): GeneralSubtrees | undefined => {
    const items = [
      ...(names?.dns ?? []).map((dns) => new GeneralSubtree({ base: new GeneralName({ dNSName: dns.toLowerCase() }) })),
      ...(names?.ip ?? []).map((cidr) => new GeneralSubtree({ base: new GeneralName({ iPAddress: validCidr(cidr) }) })),
    ];
    return items.length ? new GeneralSubtrees(items) : undefined;
  };
  const permittedSubtrees = subtrees(spec.permitted);
  const excludedSubtrees = subtrees(spec.excluded);
  if (!permittedSubtrees && !excludedSubtrees) {
    throw new CertflowError('CA_NAME_CONSTRAINTS_EMPTY', 'name constraints need at least one permitted or excluded name');
  }
  const value = AsnConvert.serialize(new NameConstraints({ permittedSubtrees, excludedSubtrees }));
  return new x509.Extension(id_ce_nameConstraints, true, value);
}

// A CA certificate is parsed once (lib/sign caches it) and asked before each leaf it signs.
const parsedConstraints = new WeakMap<X509Cert, NameConstraintsSpec | null>();

/** The CA certificate's name constraints; undefined when it has none (it may sign for any name). */
export function readNameConstraints(cert: X509Cert): NameConstraintsSpec | undefined {
  let spec = parsedConstraints.get(cert);
  if (spec === undefined) {
    spec = parseNameConstraints(cert) ?? null;
    parsedConstraints.set(cert, spec);
  }
  return spec ?? undefined;
}

function parseNameConstraints(cert: X509Cert): NameConstraintsSpec | undefined {
  const extension = cert.getExtension(id_ce_nameConstraints);
  if (!extension) return undefined;
  const parsed = AsnConvert.parse(extension.value, NameConstraints);
  const names = (subtrees: GeneralSubtrees | undefined): NameSubtrees | undefined => {
    if (!subtrees) return undefined;
    const result: Required<NameSubtrees> = { dns: [], ip: [] };
    for (const { base } of subtrees) {
      if (base.dNSName !== undefined) result.dns.push(base.dNSName.toLowerCase());
      if (base.iPAddress !== undefined) result.ip.push(base.iPAddress);
    }
    return result;
  };
  return { permitted: names(parsed.permittedSubtrees), excluded: names(parsed.excludedSubtrees) };
}

/** The names (DNS and IP) that the constraints do not allow; empty when all are allowed. */
export function namesOutside(spec: NameConstraintsSpec | undefined, names: AltName[]): AltName[] {
  if (!spec) return [];
  return names.filter((name) => {
    if (name.type === 'dns') {
      const permitted = spec.permitted?.dns ?? [];
      if (permitted.length && !permitted.some((c) => dnsMatches(name.value, c))) return true;
      return (spec.excluded?.dns ?? []).some((c) => dnsMatches(name.value, c));
    }
    if (name.type === 'ip') {
      const family = isIP(name.value) === 6 ? 'ipv6' : 'ipv4';
      const permitted = (spec.permitted?.ip ?? []).filter((c) => cidrFamily(c) === family);
      const anyPermittedIp = (spec.permitted?.ip ?? []).length > 0;
      if (anyPermittedIp && !ipIn(name.value, family, permitted)) return true;
      return ipIn(name.value, family, spec.excluded?.ip ?? []);
    }
    return false; // e-mail and URI subtrees are never set by this project
  });
}

/** RFC 5280 dNSName matching: the name itself or below it; a leading dot means below it only. */
function dnsMatches(name: string, constraint: string): boolean {
  const host = name.toLowerCase().replace(/^\*\./, 'wildcard.'); // a wildcard stands for names below its base
  const base = constraint.toLowerCase();
  if (base === '') return true;
  if (base.startsWith('.')) return host.endsWith(base);
  return host === base || host.endsWith(`.${base}`);
}

function ipIn(address: string, family: 'ipv4' | 'ipv6', ranges: string[]): boolean {
  const list = new BlockList();
  for (const cidr of ranges) {
    const [network, prefix] = cidr.split('/');
    if (cidrFamily(cidr) === family) list.addSubnet(network, Number(prefix), family);
  }
  return list.check(address, family);
}

function cidrFamily(cidr: string): 'ipv4' | 'ipv6' {
  return isIP(cidr.split('/')[0]) === 6 ? 'ipv6' : 'ipv4';
}

/** 'a.b.c.d/n' or 'x::y/n' with a prefix that fits the family; a bare address is one host. */
function validCidr(text: string): string {
  const [address, prefixText, extra] = String(text).split('/');
  const version = isIP(address);
  const max = version === 6 ? 128 : 32;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!version || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new CertflowError('CA_NAME_CONSTRAINTS_INVALID', `"${text}" is not an IP range: write it like 192.168.0.0/16 or fc00::/7`);
  }
  return `${address}/${prefix}`;
}
