/**
 * certflow-sign ("sign certificate"): a self-signed certificate, a CA certificate (root, or an
 * intermediate signed by your CA), or a certificate for a CSR signed by your CA.
 */
import { CertflowError } from '../lib/errors';
import type { AltNamesInput, Subject } from '../lib/pki';
import { CertificateBundle, isBundleObject, joinPem, readBundle, startBundle } from './common/bundle';
import { handleInput } from './common/handle-input';
import { loadInspect, loadPki } from './common/lib';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './common/node-red';
import { parseNumberSetting } from './common/number-setting';
import { describeSource, evaluateProperty, evaluateSecret, evaluateText, typedConfig } from './common/properties';
import { requiredProblem } from './common/required';
import { statusError, statusOk, statusProgress } from './common/status';

type SignMode = 'self-signed' | 'ca' | 'csr';
const SUBJECT_FIELDS = ['O', 'OU', 'C'] as const;
// the editor's limits (certflow-sign.html), for flows that were imported or hand-edited
const DAYS_RANGE = { min: 1, max: 36500, whole: true };
const PATH_LENGTH_RANGE = { min: 0, max: 16, whole: true };

interface SignNodeConfig extends NodeDef {
  mode?: SignMode;
  days?: string | number;
  clientAuth?: boolean;
  pathLength?: string | number;
  /** CA mode: make an intermediate CA signed by the issuing CA, instead of a root. */
  intermediate?: boolean;
  caCertPem?: string;
  O?: string;
  OU?: string;
  C?: string;
  [typedInput: string]: unknown;
}

interface Issuer {
  key: unknown;
  passphrase?: string;
  /** The issuing CA certificate first, then the rest of its chain. */
  certificates: string[];
}

export = function register(RED: NodeAPI): void {
  function CertflowSignNode(this: Node, config: SignNodeConfig) {
    RED.nodes.createNode(this, config);
    setUpSignNode(this, config);
  }

  function setUpSignNode(node: Node, config: SignNodeConfig): void {
    const { createCaCertificate, createSelfSigned, signCsr } = loadPki();
    const { certificatesFrom, inspectCertificate } = loadInspect();
    const mode: SignMode = config.mode === 'ca' || config.mode === 'csr' ? config.mode : 'self-signed';
    const keySource = typedConfig(config, 'keyFrom', 'bundle');
    const passphraseSource = typedConfig(config, 'passphraseFrom', 'none');
    const cnSource = typedConfig(config, 'cn');
    const altNamesSource = typedConfig(config, 'altNames');
    const caKeySource = typedConfig(config, 'caKeyFrom', 'flow');
    const caKeyPassphraseSource = typedConfig(config, 'caKeyPassphraseFrom', 'none');
    const caCertSource = typedConfig(config, 'caCertFrom', 'flow');
    // what the dialog marks invalid shows at deploy, and refuses every message with the same words
    const missing = requiredProblem(RED, 'certflow-sign', config);
    if (missing) statusError(node, missing);

    /** The dialog's numbers, checked at each message so a bad one is reported (done, Catch, red status) like any input. */
    function numberSettings(): { days?: number; pathLength?: number } {
      const days = parseNumberSetting(config.days, DAYS_RANGE, 'CERT_DAYS_INVALID', (value) => RED._('certflow-sign.errors.days', { value }));
      if (mode !== 'ca') return { days }; // the dialog shows (and checks) the path length for a CA only
      const pathLength = parseNumberSetting(config.pathLength, PATH_LENGTH_RANGE, 'CA_PATHLEN_INVALID', (value) =>
        RED._('certflow-sign.errors.pathLength', { value }),
      );
      return { days, pathLength };
    }

    /** The CA that signs: its key (pasted = credential) and certificate(s). */
    async function readIssuer(msg: NodeMessage): Promise<Issuer> {
      const keyValue = caKeySource.type === 'pasted' ? node.credentials.caKeyPem : await evaluateProperty(RED, node, msg, caKeySource);
      const key = isBundleObject(keyValue) ? keyValue.key : keyValue;
      if (key === undefined || key === null || key === '') {
        throw new CertflowError('CA_KEY_MISSING', RED._('certflow-sign.errors.noCaKey', { source: sourceName(caKeySource) }));
      }
      const certValue = caCertSource.type === 'pasted' ? config.caCertPem : await evaluateProperty(RED, node, msg, caCertSource);
      if (certValue === undefined || certValue === null || certValue === '') {
        throw new CertflowError('CA_CERT_MISSING', RED._('certflow-sign.errors.noCaCert', { source: sourceName(caCertSource) }));
      }
      const where = RED._('certflow-sign.errors.caCertAt', { source: sourceName(caCertSource) });
      let certificates: string[];
      try {
        certificates = certificatesFrom(certValue, { source: where });
      } catch (err) {
        // "expected a certificate but got a CSR" needs to say where it looked
        if (err instanceof CertflowError && err.code === 'WRONG_KIND') throw new CertflowError(err.code, `${where}: ${err.message}`, err.details);
        throw err;
      }
      const passphrase = await evaluateSecret(RED, node, msg, caKeyPassphraseSource, 'caKeyPassphrase');
      return { key, passphrase, certificates };
    }

    /** The key being certified (self-signed and CA modes), and the bundle to add to. */
    async function subjectKey(msg: NodeMessage): Promise<{ key: unknown; bundle: CertificateBundle }> {
      if (keySource.type === 'bundle') {
        const bundle = readBundle(msg.payload);
        if (!bundle.key) throw new CertflowError('KEY_MISSING', RED._('certflow-sign.errors.noKeyInBundle'));
        return { key: bundle.key, bundle };
      }
      const value = await evaluateProperty(RED, node, msg, keySource);
      const key = isBundleObject(value) ? value.key : value;
      if (key === undefined || key === null || key === '') {
        throw new CertflowError('KEY_MISSING', RED._('certflow-sign.errors.noKeyAt', { source: describeSource(keySource) }));
      }
      return { key, bundle: startBundle(msg.payload) };
    }

    async function subjectFromDialog(msg: NodeMessage): Promise<{ subject: Subject; altNames?: AltNamesInput }> {
      const subject: Subject = { CN: await evaluateText(RED, node, msg, cnSource) };
      for (const field of SUBJECT_FIELDS) subject[field] = config[field]?.trim() || undefined;
      const altNames = await evaluateProperty(RED, node, msg, altNamesSource);
      return { subject, altNames: altNames === '' || altNames === null ? undefined : altNames };
    }

    async function selfSigned(msg: NodeMessage, days?: number): Promise<CertificateBundle> {
      const { key, bundle } = await subjectKey(msg);
      const passphrase = await evaluateSecret(RED, node, msg, passphraseSource, 'passphrase');
      const { subject, altNames } = await subjectFromDialog(msg);
      const cert = await createSelfSigned({ key: key as string, passphrase, subject, altNames, days });
      // A self-signed certificate is its own trust anchor.
      return { ...bundle, cert, chain: [], fullchain: joinPem([cert]), ca: cert };
    }

    async function caCertificate(msg: NodeMessage, days?: number, pathLength?: number): Promise<CertificateBundle> {
      const { key, bundle } = await subjectKey(msg);
      const passphrase = await evaluateSecret(RED, node, msg, passphraseSource, 'passphrase');
      const { subject } = await subjectFromDialog(msg);
      const issuer = config.intermediate ? await readIssuer(msg) : undefined;
      const cert = await createCaCertificate({
        key: key as string,
        passphrase,
        subject,
        days,
        pathLength,
        issuer: issuer && { key: issuer.key as string, passphrase: issuer.passphrase, cert: issuer.certificates[0] },
      });
      const chain = issuer ? issuer.certificates : [];
      return { ...bundle, cert, chain, fullchain: joinPem([cert, ...chain]), ca: chain.length ? chain[chain.length - 1] : cert };
    }

    async function signRequest(msg: NodeMessage, days?: number): Promise<CertificateBundle> {
      const bundle = readBundle(msg.payload);
      if (!bundle.csr) throw new CertflowError('CSR_MISSING', RED._('certflow-sign.errors.noCsr', { found: describeBundle(bundle) }));
      const issuer = await readIssuer(msg);
      const cert = await signCsr({
        csr: bundle.csr,
        caKey: issuer.key as string,
        caKeyPassphrase: issuer.passphrase,
        caCert: issuer.certificates[0],
        days,
        clientAuth: config.clientAuth === true,
      });
      const chain = issuer.certificates;
      return { ...bundle, cert, chain, fullchain: joinPem([cert, ...chain]), ca: chain[chain.length - 1] };
    }

    handleInput(node, async (msg, send) => {
      if (missing) throw missing;
      const { days, pathLength } = numberSettings();
      statusProgress(node, RED._('certflow-sign.status.signing'));
      const bundle =
        mode === 'ca' ? await caCertificate(msg, days, pathLength) : mode === 'csr' ? await signRequest(msg, days) : await selfSigned(msg, days);
      msg.payload = bundle;
      const info = inspectCertificate(bundle.cert as string);
      const name = info.subjectFields.CN ?? info.altNames[0]?.value ?? info.subject;
      statusOk(node, RED._('certflow-sign.status.signed', { name: String(name), days: info.daysRemaining }));
      send(msg);
    });
  }
  RED.nodes.registerType('certflow-sign', CertflowSignNode, {
    credentials: {
      passphrase: { type: 'password' },
      caKeyPem: { type: 'password' },
      caKeyPassphrase: { type: 'password' },
    },
  });

  function sourceName(source: { type: string; value: unknown }): string {
    return source.type === 'pasted' ? RED._('certflow-sign.errors.pasted') : describeSource(source);
  }
};

/** What a bundle holds, for "expected a CSR" messages: "key, cert". */
function describeBundle(bundle: CertificateBundle): string {
  const fields = Object.keys(bundle).filter((field) => bundle[field] !== undefined && bundle[field] !== '');
  return fields.length ? fields.join(', ') : 'nothing';
}
