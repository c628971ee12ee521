import { generateKeyPair } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ServiceAccountKeys {
  privateKeyFile: string;
  publicKeyFile: string;
}

/**
 * The API server signs service-account tokens with a private key and verifies them with the
 * public one; both flags are mandatory. Node's crypto makes the pair, so no openssl or cfssl.
 * (The serving certificate needs nothing from us: kube-apiserver self-signs one in --cert-dir.)
 */
export async function writeServiceAccountKeys(dir: string): Promise<ServiceAccountKeys> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const privateKeyFile = join(dir, 'service-account.key');
  const publicKeyFile = join(dir, 'service-account.pub');
  await writeFile(privateKeyFile, privateKey, { mode: 0o600 });
  await writeFile(publicKeyFile, publicKey);
  return { privateKeyFile, publicKeyFile };
}
