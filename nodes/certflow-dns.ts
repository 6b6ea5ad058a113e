/**
 * certflow-dns ("DNS provider", config node): the DNS API an ACME node uses for dns-01 and
 * dns-account-01 without a flow. Settings in the config, tokens/secrets in Node-RED
 * credentials (password type: never in the flow file, never sent back to the editor). The
 * domain work is lib/acme/dns; this file reads config, builds the provider, and serves the
 * editor's "Test" (list zones) and acme-dns "Register" buttons.
 */
import { CertflowError } from '../lib/errors';
import { objectOf, textOf } from '../lib/guards';
import type { ProviderConfig } from '../lib/acme/dns';
import type { Dns01Hook, ProgressCallback } from '../lib/acme';
import { asyncRoute, type AdminHandler } from './common/admin-route';
import { loadAcme } from './common/lib';
import type { Node, NodeAPI, NodeDef } from './common/node-red';

interface DnsConfig extends NodeDef {
  provider?: string;
  /** API base URL override (advanced: a self-hosted acme-dns, tests). */
  apiUrl?: string;
  domain?: string;
  zone?: string;
  server?: string;
  subdomain?: string;
  fulldomain?: string;
  hostedZoneId?: string;
  keyName?: string;
  algorithm?: string;
  /** Port of the zones' authoritative servers for the propagation check (default 53). */
  nsPort?: string | number;
}

interface DnsCredentials {
  /** SECRET: Cloudflare/DuckDNS/deSEC/Hetzner token. */
  token?: string;
  username?: string;
  /** SECRET: acme-dns password. */
  password?: string;
  accessKeyId?: string;
  /** SECRET: Route 53 secret access key, RFC 2136 TSIG secret. */
  secret?: string;
}

type AdminApp = { post(path: string, ...handlers: AdminHandler[]): void };
type RED = NodeAPI & {
  httpAdmin: AdminApp;
  auth: { needsPermission(permission: string): AdminHandler };
  nodes: NodeAPI['nodes'] & { getNode(id: string): unknown };
};

const CONFIG_FIELDS = ['provider', 'apiUrl', 'domain', 'zone', 'server', 'subdomain', 'fulldomain', 'hostedZoneId', 'keyName', 'algorithm'] as const;
const CREDENTIAL_FIELDS = ['token', 'username', 'password', 'accessKeyId', 'secret'] as const;

/** Settings and credentials as the config or the editor's request has them (text expected, not yet checked). */
type ConfigFields = Partial<Record<(typeof CONFIG_FIELDS)[number], unknown>>;
type CredentialFields = Partial<Record<(typeof CREDENTIAL_FIELDS)[number], unknown>>;

function providerConfig(config: ConfigFields, credentials: CredentialFields): ProviderConfig {
  const out: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) if (typeof config[f] === 'string' && config[f].trim()) out[f] = config[f].trim();
  for (const f of CREDENTIAL_FIELDS) if (typeof credentials[f] === 'string' && credentials[f]) out[f] = credentials[f];
  return out as unknown as ProviderConfig;
}

function register(RED: RED): void {
  function CertflowDnsNode(this: register.DnsProviderNode, config: DnsConfig) {
    RED.nodes.createNode(this, config);
    setUpDnsNode(this, config);
  }

  function setUpDnsNode(node: register.DnsProviderNode, config: DnsConfig): void {
    node.providerLabel = String(config.provider ?? '');
    node.providerConfig = () => providerConfig(config, node.credentials);
    node.hook = (opts) => {
      const settings = node.providerConfig();
      let provider;
      try {
        provider = loadAcme().dns.createProvider(settings);
      } catch (err) {
        // An empty token is no error until a record is to be written (an imported example
        // deploys quietly); the order then fails with this message, which names the fix.
        if (!(err instanceof CertflowError && err.code === 'DNS_PROVIDER_CONFIG')) throw err;
        const named = new CertflowError('DNS_PROVIDER_CONFIG', RED._('certflow-dns.errors.notConfigured', { problem: err.message }));
        return { label: node.providerLabel, set: () => Promise.reject(named), remove: () => undefined };
      }
      return loadAcme().dns.providerHook({
        provider,
        resolvers: opts.resolvers,
        authoritativePort: Number(config.nsPort) > 0 ? Number(config.nsPort) : undefined,
        propagationTimeoutMs: opts.propagationTimeoutMs,
        propagationPollMs: opts.propagationPollMs,
        onProgress: opts.onProgress,
      });
    };
  }

  RED.nodes.registerType('certflow-dns', CertflowDnsNode as unknown as (this: Node, config: NodeDef) => void, {
    credentials: {
      token: { type: 'password' },
      username: { type: 'text' },
      password: { type: 'password' },
      accessKeyId: { type: 'text' },
      secret: { type: 'password' },
    },
  });
  registerAdminEndpoints(RED);
}

namespace register {
  export interface DnsProviderNode extends Node<DnsCredentials> {
    providerLabel: string;
    providerConfig(): ProviderConfig;
    /** The dns-01 hook for an order (errors when a setting or credential is missing). */
    hook(opts: { resolvers?: string[]; propagationTimeoutMs?: number; propagationPollMs?: number; onProgress?: ProgressCallback }): Dns01Hook;
  }
}

export = register;

/**
 * POST /certflow-dns/test {id?, provider, ...settings, credentials} -> {zones}: the zones the
 * credentials can edit. Credentials left empty (the editor shows password fields empty) come
 * from the deployed node with that id. POST /certflow-dns/acme-dns/register {server, apiUrl}.
 * Both need write permission: they use credentials.
 */
function registerAdminEndpoints(RED: RED): void {
  const write = RED.auth.needsPermission('certflow-dns.write');
  RED.httpAdmin.post(
    '/certflow-dns/test',
    write,
    asyncRoute(async (req, res) => {
      const body: ConfigFields & { id?: unknown; credentials?: unknown } = objectOf(req.body);
      const deployed = typeof body.id === 'string' ? (RED.nodes.getNode(body.id) as register.DnsProviderNode | null) : null;
      const credentials: CredentialFields = objectOf(body.credentials);
      const typed: Partial<DnsCredentials> = {};
      for (const f of CREDENTIAL_FIELDS) {
        const v = credentials[f];
        // '__PWRD__' is the editor's stand-in for "unchanged"
        typed[f] = typeof v === 'string' && v && v !== '__PWRD__' ? v : deployed?.type === 'certflow-dns' ? deployed.credentials[f] : undefined;
      }
      const settings = providerConfig(body, typed);
      try {
        const provider = loadAcme().dns.createProvider(settings);
        res.json({ provider: provider.label, zones: await provider.listZones() });
      } catch (err) {
        const { scrub, providerSecrets } = loadAcme().dns;
        const message = scrub(err instanceof Error ? err.message : String(err), providerSecrets(settings));
        res.status(err instanceof CertflowError && err.code === 'DNS_PROVIDER_CONFIG' ? 400 : 502).json({ error: message });
      }
    }),
  );
  RED.httpAdmin.post(
    '/certflow-dns/acme-dns/register',
    write,
    asyncRoute(async (req, res) => {
      const body = objectOf(req.body);
      try {
        res.json(
          await loadAcme().dns.registerAcmeDns(textOf(body.server ?? ''), {
            apiUrl: body.apiUrl ? textOf(body.apiUrl) : undefined,
            timeoutMs: 15000,
          }),
        );
      } catch (err) {
        res.status(502).json({ error: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
}
