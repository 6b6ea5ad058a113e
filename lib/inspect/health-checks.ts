/** Health checks on parsed certificates: host name, and the warnings (weak key, SHA-1, long life, expiring soon). */
import { isIP } from 'node:net';
import type { CertificateInfo, ParsedCertificate } from './certificate-facts';
import { plural } from './summary';

const MAX_LEAF_LIFETIME_DAYS = 398;

export function hostMatches(cert: ParsedCertificate, host: string): boolean {
  const name = host.trim().replace(/^\[|\]$/g, '');
  return isIP(name) ? cert.x509().checkIP(name) !== undefined : cert.x509().checkHost(name) !== undefined;
}

export function namesOf(info: CertificateInfo): string {
  const names = info.altNames.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value);
  if (names.length === 0) return info.subjectFields.CN ? String(info.subjectFields.CN) : 'no host name';
  return names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
}

export function certificateWarnings(certs: ParsedCertificate[], warnDays: number): string[] {
  const warnings: string[] = [];
  for (const cert of certs) {
    const info = cert.info;
    if ((info.publicKey.type === 'RSA' || info.publicKey.type === 'RSA-PSS') && info.publicKey.bits < 2048) {
      warnings.push(`${cert.label} has a weak RSA ${info.publicKey.bits} key: use at least 2048 bits`);
    }
    if (/sha1|SHA1|md5/.test(info.signatureAlgorithm) && !info.selfSigned) {
      warnings.push(`${cert.label} is signed with ${info.signatureAlgorithm}, which clients reject: reissue it with SHA-256`);
    }
    if (!info.isCa && info.lifetimeDays > MAX_LEAF_LIFETIME_DAYS) {
      warnings.push(
        `${cert.label} is valid for ${info.lifetimeDays} days, more than the ${MAX_LEAF_LIFETIME_DAYS} browsers accept for a server certificate`,
      );
    }
    if (!info.expired && !info.notYetValid && info.daysRemaining < warnDays) {
      warnings.push(`${cert.label} expires in ${plural(info.daysRemaining, 'day')} (${info.notAfter.slice(0, 10)})`);
    }
  }
  return warnings;
}
