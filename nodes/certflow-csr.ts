/**
 * certflow-csr ("create CSR"): a certificate signing request for the bundle's key (or a key
 * from another property) with the subject and alternative names from the dialog or the msg.
 */
import { CertflowError } from '../lib/errors';
import type { Subject } from '../lib/pki';
import { CertificateBundle, readBundle, startBundle } from './common/bundle';
import { handleInput } from './common/handle-input';
import { loadPki } from './common/lib';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './common/node-red';
import { describeSource, evaluateProperty, evaluateSecret, evaluateText, TypedValue, typedConfig } from './common/properties';
import { requiredProblem } from './common/required';
import { statusError, statusOk, statusProgress } from './common/status';

const SUBJECT_FIELDS = ['O', 'OU', 'C', 'ST', 'L', 'emailAddress'] as const;

/** The dialog's subject fields (O, OU, C, ST, L, emailAddress) are the lib's Subject fields; the CN is cn. */
interface CsrNodeConfig extends NodeDef, Omit<Subject, 'CN'> {
  keyFrom?: string;
  keyFromType?: string;
  passphraseFrom?: string;
  passphraseFromType?: string;
  cn?: string;
  cnType?: string;
  altNames?: string;
  altNamesType?: string;
  /** Add this machine's names: localhost, its host name (and .local), 127.0.0.1, ::1, its LAN addresses. */
  localNames?: boolean;
}

export = function register(RED: NodeAPI): void {
  /**
   * The private key to use, and the bundle to add the CSR to. `bundle` (the default) means
   * msg.payload.key, and msg.payload may also be a bare key PEM.
   */
  async function keyAndBundle(node: Node, msg: NodeMessage, source: TypedValue): Promise<{ key: unknown; bundle: CertificateBundle }> {
    if (source.type === 'bundle') {
      const bundle = readBundle(msg.payload);
      if (!bundle.key) throw new CertflowError('KEY_MISSING', RED._('certflow-csr.errors.noKeyInBundle'));
      return { key: bundle.key, bundle };
    }
    const value = await evaluateProperty(RED, node, msg, source);
    // A whole bundle stored in context (e.g. flow.device) gives its key.
    const key = value !== null && typeof value === 'object' && !Buffer.isBuffer(value) ? (value as CertificateBundle).key : value;
    if (key === undefined || key === null || key === '') {
      throw new CertflowError('KEY_MISSING', RED._('certflow-csr.errors.noKeyAt', { source: describeSource(source) }));
    }
    return { key, bundle: startBundle(msg.payload) };
  }

  function CertflowCsrNode(this: Node, config: CsrNodeConfig) {
    RED.nodes.createNode(this, config);
    setUpCsrNode(this, config);
  }

  function setUpCsrNode(node: Node, config: CsrNodeConfig): void {
    const keySource = typedConfig(config, 'keyFrom', 'bundle');
    const passphraseSource = typedConfig(config, 'passphraseFrom', 'none');
    const cnSource = typedConfig(config, 'cn');
    const altNamesSource = typedConfig(config, 'altNames');
    // what the dialog marks invalid shows at deploy, and refuses every message with the same words
    const missing = requiredProblem(RED, 'certflow-csr', config);
    if (missing) statusError(node, missing);

    handleInput(node, async (msg, send) => {
      if (missing) throw missing;
      const { createCsr, localHostNames, parseAltNames } = loadPki();
      const { key, bundle } = await keyAndBundle(node, msg, keySource);
      const passphrase = await evaluateSecret(RED, node, msg, passphraseSource, 'passphrase');
      const subject: Subject = { CN: await evaluateText(RED, node, msg, cnSource) };
      for (const field of SUBJECT_FIELDS) subject[field] = config[field]?.trim() || undefined;
      const given = await evaluateProperty(RED, node, msg, altNamesSource);
      const altNames =
        config.localNames === true ? [...parseAltNames(given === '' || given === null ? undefined : given), ...localHostNames()] : given;

      statusProgress(node, RED._('certflow-csr.status.creating'));
      const csr = await createCsr({
        key: key as string | Buffer,
        passphrase,
        subject,
        altNames: altNames === '' || altNames === null ? undefined : altNames,
      });
      msg.payload = { ...bundle, csr };
      statusOk(node, RED._('certflow-csr.status.created', { name: subject.CN ?? firstName(altNames) }));
      send(msg);
    });
  }
  RED.nodes.registerType('certflow-csr', CertflowCsrNode, {
    credentials: { passphrase: { type: 'password' } },
  });
};

/** The first name of the list, for the status text. */
function firstName(altNames: unknown): string {
  if (typeof altNames === 'string') return altNames.split(/[\s,;]+/).find((part) => part !== '') ?? '';
  if (Array.isArray(altNames)) {
    const first: unknown = altNames[0];
    return firstName(first && typeof first === 'object' ? (first as { value?: unknown }).value : first);
  }
  return '';
}
