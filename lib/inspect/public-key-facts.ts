/** What a SubjectPublicKeyInfo says: algorithm, size, curve, and the label people read. */
import { spkiKeyBits } from '../pki/keys';
import { bytesOf, decodeDer, kids, oidOf, optionalOidOf, type Node } from './asn1-tree';

export interface PublicKeyInfo {
  type: 'RSA' | 'RSA-PSS' | 'EC' | 'Ed25519' | 'Ed448' | 'DSA' | (string & {});
  /** Modulus size for RSA, curve size for EC, 256 for Ed25519. */
  bits: number;
  curve?: string;
  /** 'EC P-256', 'RSA 2048', 'Ed25519'. */
  label: string;
  /** SHA-256 of the SubjectPublicKeyInfo, lower-case hex (as describeKey gives for the private key). */
  spkiSha256: string;
}

const CURVES: Record<string, { name: string; bits: number }> = {
  '1.2.840.10045.3.1.7': { name: 'P-256', bits: 256 },
  '1.3.132.0.34': { name: 'P-384', bits: 384 },
  '1.3.132.0.35': { name: 'P-521', bits: 521 },
  '1.3.132.0.10': { name: 'secp256k1', bits: 256 },
  '1.3.36.3.3.2.8.1.1.7': { name: 'brainpoolP256r1', bits: 256 },
  '1.3.36.3.3.2.8.1.1.11': { name: 'brainpoolP384r1', bits: 384 },
  '1.3.36.3.3.2.8.1.1.13': { name: 'brainpoolP512r1', bits: 512 },
};

export function readPublicKey(spki: Node, spkiSha256: string): PublicKeyInfo {
  const [algorithm, bitString] = kids(spki);
  const [oidNode, params] = kids(algorithm);
  const oid = oidOf(oidNode);
  switch (oid) {
    case '1.2.840.113549.1.1.1':
    case '1.2.840.113549.1.1.10': {
      const type = oid.endsWith('.1') ? 'RSA' : 'RSA-PSS';
      const bits = rsaModulusBits(bitString);
      return { type, bits, label: `${type} ${bits}`, spkiSha256 };
    }
    case '1.2.840.10045.2.1': {
      const curveOid = optionalOidOf(params) ?? 'explicit parameters';
      const curve = CURVES[curveOid] ?? { name: curveOid, bits: spkiKeyBits(Buffer.from(spki.valueBeforeDecodeView)) };
      return { type: 'EC', bits: curve.bits, curve: curve.name, label: `EC ${curve.name}`, spkiSha256 };
    }
    case '1.3.101.112':
      return { type: 'Ed25519', bits: 256, label: 'Ed25519', spkiSha256 };
    case '1.3.101.113':
      return { type: 'Ed448', bits: 456, label: 'Ed448', spkiSha256 };
    case '1.3.101.110':
      return { type: 'X25519', bits: 256, label: 'X25519', spkiSha256 };
    case '1.3.101.111':
      return { type: 'X448', bits: 448, label: 'X448', spkiSha256 };
    case '1.2.840.10040.4.1': {
      const bits = spkiKeyBits(Buffer.from(spki.valueBeforeDecodeView));
      return { type: 'DSA', bits, label: `DSA ${bits || ''}`.trim(), spkiSha256 };
    }
    case '1.2.840.10046.2.1':
    case '1.2.840.113549.1.3.1': {
      const bits = spkiKeyBits(Buffer.from(spki.valueBeforeDecodeView));
      return { type: 'DH', bits, label: `DH ${bits || ''}`.trim(), spkiSha256 };
    }
    default:
      return { type: oid, bits: 0, label: `key ${oid}`, spkiSha256 };
  }
}

function rsaModulusBits(bitString: Node): number {
  const modulus = bytesOf(kids(decodeDer(bytesOf(bitString), 'malformed RSA key'))[0]);
  let first = 0;
  while (first < modulus.length - 1 && modulus[first] === 0) first++;
  return (modulus.length - first) * 8 - Math.clz32(modulus[first]) + 24;
}
