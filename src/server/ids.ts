import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Short opaque ids ("k3v9q2ab"): lowercase, so they are safe in Docker labels, URLs and file names. */
export function newId(length = 10): string {
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}
