/**
 * acme-dns (a small DNS server just for ACME challenges): the user's `_acme-challenge.<name>`
 * is a CNAME to the account's `fulldomain`, and only that name is ever written. acme-dns keeps
 * the two latest values and has no delete: removal is a no-op.
 * Built from https://github.com/joohoi/acme-dns#api (POST /register -> {username, password,
 * fulldomain, subdomain, allowfrom}; POST /update with X-Api-User / X-Api-Key and
 * {subdomain, txt}; 401 {"error":"forbidden"}, 400 {"error":"bad_txt"}).
 */
import { CertflowError } from '../../../errors';
import { jsonFields, providerFetch, required, type DnsProvider, type HttpAnswer, type ProviderSettings } from '../provider';

export interface AcmeDnsAccount {
  username: string;
  /** SECRET. */
  password: string;
  subdomain: string;
  fulldomain: string;
}

/** An acme-dns error answer: {"error": "forbidden"}. */
interface AcmeDnsError {
  error: unknown;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

export interface AcmeDnsOptions extends ProviderSettings, Partial<AcmeDnsAccount> {
  /** The acme-dns server, e.g. 'https://auth.acme-dns.io' (apiUrl wins when both are set). */
  server?: string;
}

/** Registers a new acme-dns account; the user then creates the CNAME it names. */
export async function registerAcmeDns(server: string, settings: ProviderSettings = {}): Promise<AcmeDnsAccount & { cname: string }> {
  const base = required('acme-dns', 'server', settings.apiUrl || server).replace(/\/$/, '');
  const answer = await providerFetch({
    provider: 'acme-dns',
    method: 'POST',
    url: `${base}/register`,
    body: '{}',
    secrets: [],
    settings,
    what: 'registering an account',
  });
  const { username, password, subdomain, fulldomain } = jsonFields<Record<keyof AcmeDnsAccount, unknown>>(answer);
  if (!isText(username) || !isText(password) || !isText(subdomain) || !isText(fulldomain)) {
    throw new CertflowError(
      'DNS_PROVIDER_FAILED',
      `acme-dns at ${base} did not return an account (HTTP ${answer.status}): is it an acme-dns server?`,
      { provider: 'acme-dns' },
    );
  }
  return { username, password, subdomain, fulldomain, cname: `_acme-challenge.<your name> CNAME ${fulldomain}.` };
}

export function createAcmeDns(opts: AcmeDnsOptions): DnsProvider {
  const label = 'acme-dns';
  const base = required(label, 'server', opts.apiUrl || opts.server).replace(/\/$/, '');
  const username = required(label, 'username', opts.username);
  const password = required(label, 'password', opts.password);
  const subdomain = required(label, 'subdomain', opts.subdomain);
  const fulldomain = required(label, 'full domain', opts.fulldomain).replace(/\.$/, '').toLowerCase();

  function explain(answer: HttpAnswer): string | undefined {
    const { error } = jsonFields<AcmeDnsError>(answer);
    if (answer.status === 401)
      return "the username/password are not valid here (or this address is not in the account's allowfrom list): register again with the button in the DNS provider dialog";
    if (error === 'bad_subdomain') return 'the subdomain does not match the account: register again';
    if (error === 'bad_txt') return 'the value is not a 43-character challenge value';
    return typeof error === 'string' ? error : undefined;
  }

  return {
    id: 'acme-dns',
    label,
    multipleValues: true, // the two latest values: a wildcard plus its base name
    findZone(fqdn) {
      if (fqdn.replace(/\.$/, '').toLowerCase() !== fulldomain) {
        return Promise.reject(
          new CertflowError(
            'DNS_CNAME_MISSING',
            `acme-dns can only write ${fulldomain}, but the record to set is ${fqdn}: create the CNAME record "${fqdn.startsWith('_acme-challenge.') ? fqdn : `_acme-challenge.<name>`} CNAME ${fulldomain}." in your DNS`,
            { provider: label },
          ),
        );
      }
      return Promise.resolve({ id: subdomain, name: fulldomain });
    },
    async setTxt(_zone, fqdn, value) {
      await providerFetch({
        provider: label,
        method: 'POST',
        url: `${base}/update`,
        headers: { 'X-Api-User': username, 'X-Api-Key': password },
        body: JSON.stringify({ subdomain, txt: value }),
        secrets: [password],
        settings: opts,
        what: `setting TXT ${fqdn}`,
        explain,
      });
    },
    async removeTxt() {
      // acme-dns has no delete: it keeps the two latest values, and the next ones replace them
    },
    listZones() {
      return Promise.resolve([fulldomain]);
    },
  };
}
