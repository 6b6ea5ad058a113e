/** The one-line `summary` an inspect result starts with: what it is, when it ends, what is wrong. */
import type { ParsedCertificate } from './certificate-facts';
import type { InspectResult } from './inspect';

export function summarize(result: InspectResult, leaf: ParsedCertificate | undefined): string {
  const parts: string[] = [];
  if (leaf) {
    const info = leaf.info;
    parts.push(`${result.kind === 'pkcs12' ? 'PKCS#12: ' : ''}${leaf.label}`);
    const date = info.notAfter.slice(0, 10);
    if (info.expired)
      parts.push(info.daysRemaining === -1 ? `EXPIRED today (${date})` : `EXPIRED ${plural(-info.daysRemaining - 1, 'day')} ago (${date})`);
    else if (info.notYetValid) parts.push(`not valid before ${info.notBefore.slice(0, 10)}`);
    else parts.push(info.daysRemaining === 0 ? `expires today (${date})` : `expires in ${plural(info.daysRemaining, 'day')} (${date})`);
    if (info.selfSigned) parts.push('self-signed');
    else parts.push(`issued by ${info.issuerFields.CN ? [info.issuerFields.CN].flat()[0] : info.issuer}`);
    if (result.chain) parts.push(result.chain.summary);
  } else if (result.csr) {
    const csr = result.csr;
    const names = csr.altNames.map((n) => n.value);
    parts.push(
      `CSR for ${csr.subjectString || names[0] || 'no name'}${names.length ? ` (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})` : ''}`,
    );
    parts.push(csr.publicKey.label);
    parts.push(csr.signatureValid ? 'signature valid' : 'SIGNATURE INVALID');
  } else if (result.key) {
    parts.push(`${result.key.isPrivate ? 'private' : 'public'} key ${result.key.label}`);
  }
  const checks = result.checks;
  if (checks.host) parts.push(checks.host.matches ? `valid for ${checks.host.name}` : `WRONG HOST ${checks.host.name}`);
  if (checks.keyMatchesCertificate !== undefined) parts.push(checks.keyMatchesCertificate ? 'key matches' : 'KEY DOES NOT MATCH');
  // problems the parts above do not already say
  const otherProblems = result.problems
    .filter((p) => !result.chain || !result.chain.problems.includes(p))
    .filter((p) => !/^wrong host|^the private key/.test(p))
    .filter((p) => !leaf || !(p.startsWith(`${leaf.label} expired on`) || p.startsWith(`${leaf.label} is not valid before`)));
  if (otherProblems.length) parts.push(otherProblems[0]);
  if (result.warnings.length) parts.push(plural(result.warnings.length, 'warning'));
  return parts.join(', ');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
