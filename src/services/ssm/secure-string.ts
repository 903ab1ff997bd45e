import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Cloud } from '../../cloud.js';

/**
 * SecureString values are encrypted at rest with a key of this cloud (AES-256-GCM), standing in for the KMS key
 * named by KeyId. Without WithDecryption, callers get the ciphertext, as from SSM.
 */
function cloudKey(cloud: Cloud): Buffer {
  let hex = cloud.store.meta('ssm.secureStringKey');
  if (!hex) {
    hex = randomBytes(32).toString('hex');
    cloud.store.setMeta('ssm.secureStringKey', hex);
  }
  return Buffer.from(hex, 'hex');
}

export function encrypt(cloud: Cloud, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cloudKey(cloud), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

export function decrypt(cloud: Cloud, ciphertext: string): string {
  const raw = Buffer.from(ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', cloudKey(cloud), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
