/**
 * http-01 answered by another web server: the token file goes into its webroot and is
 * removed after the order.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CertflowError } from '../../errors';

/** Writes `<webroot>/.well-known/acme-challenge/<token>`; returns a function removing it (and folders it made). */
export async function writeWebrootToken(webroot: string, token: string, keyAuthorization: string): Promise<() => Promise<void>> {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new CertflowError('ACME_BAD_TOKEN', 'the CA sent an http-01 token with unexpected characters');
  const root = path.resolve(webroot);
  try {
    const stat = await fs.stat(root);
    if (!stat.isDirectory()) throw new Error('not a folder');
  } catch {
    throw new CertflowError('ACME_WEBROOT_MISSING', `the webroot folder ${root} does not exist`);
  }
  const wellKnown = path.join(root, '.well-known');
  const dir = path.join(wellKnown, 'acme-challenge');
  const made: string[] = [];
  for (const d of [wellKnown, dir]) {
    try {
      await fs.mkdir(d, { mode: 0o755 });
      made.unshift(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CertflowError('ACME_WEBROOT_WRITE', `cannot create ${d}: ${(err as Error).message}`);
      }
    }
  }
  const file = path.join(dir, token);
  try {
    await fs.writeFile(file, keyAuthorization, { mode: 0o644 });
  } catch (err) {
    throw new CertflowError('ACME_WEBROOT_WRITE', `cannot write the http-01 token file in ${dir}: ${(err as Error).message}`);
  }
  return async () => {
    await fs.rm(file, { force: true });
    for (const d of made) await fs.rmdir(d).catch(() => undefined); // only if empty
  };
}
