/**
 * certflow-key ("generate key"): a new private key in msg.payload.key (PKCS#8 PEM, encrypted
 * when a passphrase is set) and its public half in msg.payload.publicKey.
 */
import { CertflowError } from '../lib/errors';
import { startBundle } from './common/bundle';
import { handleInput } from './common/handle-input';
import { loadPki } from './common/lib';
import type { Node, NodeAPI, NodeDef } from './common/node-red';
import { describeSource, evaluateSecret, typedConfig } from './common/properties';
import { statusOk, statusProgress } from './common/status';

interface KeyNodeConfig extends NodeDef {
  algorithm?: string;
  /** Where the passphrase comes from: a TypedInput (none / cred / msg / flow / global / env). */
  passphraseFrom?: string;
  passphraseFromType?: string;
}

export = function register(RED: NodeAPI): void {
  function CertflowKeyNode(this: Node, config: KeyNodeConfig) {
    RED.nodes.createNode(this, config);
    setUpKeyNode(this, config);
  }

  function setUpKeyNode(node: Node, config: KeyNodeConfig): void {
    const passphraseSource = typedConfig(config, 'passphraseFrom', 'none');

    handleInput(node, async (msg, send) => {
      const { generateKey, parseKeyAlgorithm } = loadPki();
      // msg.algorithm lets a flow choose per message; the dialog's choice is the default.
      if (msg.algorithm !== undefined && msg.algorithm !== null && typeof msg.algorithm !== 'string') {
        const kind = Array.isArray(msg.algorithm) ? 'a list' : typeof msg.algorithm === 'object' ? 'an object' : `a ${typeof msg.algorithm}`;
        throw new CertflowError('KEY_ALGORITHM_INVALID', RED._('certflow-key.errors.algorithmNotText', { kind }));
      }
      const requested = typeof msg.algorithm === 'string' && msg.algorithm.trim() !== '' ? msg.algorithm : config.algorithm;
      const algorithm = parseKeyAlgorithm(requested);
      const passphrase = await evaluateSecret(RED, node, msg, passphraseSource, 'passphrase');
      if (passphraseSource.type !== 'none' && passphrase === undefined) {
        // The user asked for an encrypted key: never fall back to an unencrypted one.
        throw new CertflowError('PASSPHRASE_MISSING', RED._('certflow-key.errors.noPassphrase', { source: describeSource(passphraseSource) }));
      }
      statusProgress(node, RED._('certflow-key.status.generating'));
      const generated = await generateKey(algorithm, { passphrase });
      // A CSR or certificate already in the bundle belongs to the old key: drop them.
      const { csr: _csr, cert: _cert, chain: _chain, fullchain: _fullchain, info: _info, ...kept } = startBundle(msg.payload);
      msg.payload = { ...kept, key: generated.privateKeyPem, publicKey: generated.publicKeyPem };
      const label = generated.description.label;
      statusOk(node, passphrase ? RED._('certflow-key.status.encrypted', { label }) : label);
      send(msg);
    });
  }
  RED.nodes.registerType('certflow-key', CertflowKeyNode, {
    credentials: { passphrase: { type: 'password' } },
  });
};
