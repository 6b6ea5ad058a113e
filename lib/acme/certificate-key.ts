/**
 * The key and CSR of an order: a new key, a given key, or a given CSR (lib/pki/csr.ts builds the
 * CSR; unlike acme-client's helper it supports IP SANs).
 */
import { CertflowError } from '../errors';
import { createCsr, parseCsr } from '../pki/csr';
import { exportPrivateKeyPem, generateKey, loadPrivateKey } from '../pki/keys';
import { parseIdentifiers } from './identifiers';
import type { AcmeIdentifier, CertificateKeySource } from './types';

export interface PreparedKey {
  csrPem: string;
  keyPem?: string;
  identifiers: AcmeIdentifier[];
}

export async function prepareKeyAndCsr(source: CertificateKeySource, identifiers: AcmeIdentifier[]): Promise<PreparedKey> {
  if (source.kind === 'csr') {
    const parsed = await parseCsr(source.csrPem);
    if (!parsed.signatureValid) throw new CertflowError('ACME_BAD_CSR', 'the given CSR has an invalid signature (damaged or tampered)');
    return { csrPem: parsed.pem, identifiers };
  }
  const key = source.kind === 'key' ? loadPrivateKey(source.keyPem, source.passphrase) : (await generateKey(source.algorithm ?? 'ec-p256')).key;
  const firstName = identifiers.find((i) => i.type === 'dns' && i.value.length <= 64);
  const csrPem = await createCsr({
    key,
    subject: firstName ? { CN: firstName.value } : undefined,
    altNames: identifiers.map((i) => ({ type: i.type, value: i.value })),
  });
  return { csrPem, keyPem: exportPrivateKeyPem(key), identifiers };
}

/** Identifiers of a CSR (its DNS and IP SANs, and a CN that is a name). */
export async function identifiersFromCsr(csrPem: string): Promise<AcmeIdentifier[]> {
  const parsed = await parseCsr(csrPem);
  const names: (string | AcmeIdentifier)[] = parsed.altNames
    .filter((n) => n.type === 'dns' || n.type === 'ip')
    .map((n) => ({ type: n.type as 'dns' | 'ip', value: n.value }));
  if (names.length === 0 && parsed.subject.CN) names.push(parsed.subject.CN);
  return parseIdentifiers(names);
}
