/**
 * RFC 2136 dynamic DNS update signed with TSIG (RFC 8945): BIND, Knot, PowerDNS, Windows DNS
 * with a TSIG key, ... The update goes to the zone's primary server; answers are checked for
 * the server's own TSIG signature so a forged "done" does not pass.
 * Built from RFC 2136 (https://www.rfc-editor.org/rfc/rfc2136) sections 2.5.1 (add) and 2.5.4
 * (delete one RR), RFC 8945 (https://www.rfc-editor.org/rfc/rfc8945) and BIND's ARM on
 * update-policy (https://bind9.readthedocs.io/en/latest/reference.html#namedconf-statement-update-policy).
 */
import { CertflowError } from '../../../errors';
import type { DnsProvider, ProviderSettings } from '../provider';
import {
  buildUpdate,
  exchange,
  parseMessage,
  parseServer,
  rcodeName,
  serverLabel,
  signMessage,
  tsigAlgorithm,
  verifyResponse,
  type TsigKey,
  type TxtUpdate,
} from '../wire';
import { findZoneBySoa } from '../zone';

export interface Rfc2136Options extends ProviderSettings {
  /** Primary server, 'host' or 'host:port' (an IP address). */
  server: string;
  /** TSIG key name, algorithm and secret (base64, SECRET). Without a key the update is unsigned. */
  keyName?: string;
  algorithm?: string;
  secret?: string;
  /** Zone to update (default: found by SOA through `server`). */
  zone?: string;
}

function describeRefusal(rcode: number, tsigError: number | undefined, key: TsigKey | undefined, zone: string): string {
  const name = rcodeName(rcode);
  if (tsigError === 16 || tsigError === 17) {
    return `${name}, TSIG ${rcodeName(tsigError)}: the server does not accept the TSIG key "${key?.name}" - check the key name, algorithm (${key?.algorithm ?? 'hmac-sha256'}) and secret against the server's key`;
  }
  if (tsigError === 18) return `${name}, TSIG BADTIME: this machine's clock and the server's differ by more than 5 minutes - fix the time (NTP)`;
  if (rcode === 9) return `${name}: the server is not authoritative for ${zone}, or did not accept the key - is this the zone's primary server?`;
  if (rcode === 5)
    return `${name}: the server refuses updates to ${zone} from this key${key ? '' : ' (no TSIG key given)'} - allow it (BIND: update-policy { grant ${key?.name ?? '<key>'} name _acme-challenge.<name> TXT; })`;
  if (rcode === 10) return `${name}: the name is not in the zone ${zone} - set the zone in the DNS provider settings`;
  return name;
}

export function createRfc2136(opts: Rfc2136Options): DnsProvider {
  const label = 'RFC 2136';
  if (!opts.server?.trim())
    throw new CertflowError('DNS_PROVIDER_CONFIG', `${label}: the DNS server address is missing in the DNS provider settings`);
  const server = parseServer(opts.server);
  const key: TsigKey | undefined = opts.keyName?.trim()
    ? { name: opts.keyName.trim(), algorithm: opts.algorithm || 'hmac-sha256', secret: opts.secret ?? '' }
    : undefined;
  if (key) {
    tsigAlgorithm(key.algorithm);
    if (!key.secret.trim()) throw new CertflowError('DNS_PROVIDER_CONFIG', `${label}: the secret of TSIG key "${key.name}" is missing`);
  }
  const at = serverLabel(server);

  async function send(zone: string, updates: TxtUpdate[], what: string): Promise<void> {
    const unsigned = buildUpdate(zone, updates);
    const signed = key ? signMessage(unsigned, key) : { message: unsigned, mac: Buffer.alloc(0) };
    let raw: Buffer;
    try {
      raw = await exchange(server, signed.message, { timeoutMs: opts.timeoutMs ?? 5000 });
    } catch (err) {
      throw new CertflowError(
        'DNS_PROVIDER_FAILED',
        `${label} update ${what} at ${at} got no answer: ${(err as Error).message} - is the DNS server running and reachable on that port?`,
        { provider: label },
      );
    }
    const answer = parseMessage(raw);
    if (answer.rcode !== 0 || (answer.tsigError !== undefined && answer.tsigError !== 0)) {
      throw new CertflowError(
        'DNS_PROVIDER_FAILED',
        `${label} update ${what} at ${at} was refused (${describeRefusal(answer.rcode, answer.tsigError, key, zone)})`,
        {
          provider: label,
          rcode: rcodeName(answer.rcode),
        },
      );
    }
    if (key && !verifyResponse(raw, signed.mac, key)) {
      throw new CertflowError(
        'DNS_PROVIDER_FAILED',
        `${label} update ${what} at ${at}: the answer is not signed with the key "${key.name}", so it cannot be trusted`,
        { provider: label },
      );
    }
  }

  return {
    id: 'rfc2136',
    label,
    multipleValues: true,
    async findZone(fqdn, soaZone) {
      if (opts.zone?.trim()) return { id: opts.zone.trim().replace(/\.$/, ''), name: opts.zone.trim().replace(/\.$/, '') };
      const zone = soaZone ?? (await findZoneBySoa(fqdn, { resolvers: [at] }));
      return { id: zone, name: zone };
    },
    async setTxt(zone, fqdn, value) {
      await send(zone.name, [{ action: 'add', name: fqdn, value, ttl: opts.ttl ?? 60 }], `of TXT ${fqdn}`);
    },
    async removeTxt(zone, fqdn, value) {
      await send(zone.name, [{ action: 'delete', name: fqdn, value }], `removing TXT ${fqdn}`);
    },
    async listZones() {
      if (!opts.zone?.trim()) throw new CertflowError('DNS_PROVIDER_CONFIG', `${label}: enter the zone to test the key against`);
      const zone = opts.zone.trim().replace(/\.$/, '');
      // an update with no changes: the server checks the key and the zone, and changes nothing
      await send(zone, [], `test for zone ${zone}`);
      return [zone];
    },
  };
}
