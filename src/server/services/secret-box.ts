import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CapstanError } from '../errors.js';

const SECRET_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

/**
 * The random secret lives in a file beside the database, not in it: a copy of
 * the database alone (a backup, a libSQL server) does not reveal what it
 * encrypts. Created 0600 on first use; "wx" makes two processes starting at
 * once agree on one secret.
 */
export function loadOrCreateSecret(file: string): Buffer {
  try {
    return checked(file, readFileSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(SECRET_BYTES), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return checked(file, readFileSync(file));
}

function checked(file: string, secret: Buffer): Buffer {
  if (secret.length !== SECRET_BYTES) {
    throw new CapstanError('INTERNAL_SERVER_ERROR', 'The encryption secret is unusable', {
      details: `${file} must hold exactly ${SECRET_BYTES} bytes`,
    });
  }
  return secret;
}

/**
 * AES-256-GCM with a key derived (HKDF-SHA256) from the secret file. The
 * caller's context (e.g. the registry host) is bound as associated data, so a
 * ciphertext copied onto another row does not decrypt.
 */
export class SecretBox {
  private key: Buffer | undefined;

  constructor(
    private readonly secretFile: string,
    private readonly purpose: string,
  ) {}

  private currentKey(): Buffer {
    this.key ??= Buffer.from(hkdfSync('sha256', loadOrCreateSecret(this.secretFile), Buffer.alloc(0), `capstan ${this.purpose}`, 32));
    return this.key;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.currentKey(), iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  open(sealed: string, context: string): string {
    const [format, payload] = sealed.split('.');
    const raw = Buffer.from(payload ?? '', 'base64url');
    if (format !== FORMAT || raw.length < IV_BYTES + TAG_BYTES) throw undecryptable();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.currentKey(), raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw undecryptable();
    }
  }
}

const undecryptable = () =>
  new CapstanError('INTERNAL_SERVER_ERROR', 'Stored secret cannot be decrypted', {
    details: 'secret.key in the data dir is not the one it was encrypted with; store the credentials again',
  });
