import { randomInt } from 'node:crypto';
import { errors } from './errors.js';
import type { GetRandomPasswordInput } from './generated/types.js';

/** GetRandomPassword's options, also those of GenerateSecretString. */
export type PasswordOptions = GetRandomPasswordInput;

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
/** The punctuation AWS documents for GetRandomPassword. */
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/**
 * A password as GetRandomPassword makes it: 32 characters unless told, from lowercase, uppercase, digits and
 * punctuation (space only with IncludeSpace), less the excluded ones; with RequireEachIncludedType (the default)
 * at least one of each letter/digit/punctuation type still included. Random from the system's CSPRNG.
 */
export function randomPassword(o: PasswordOptions): string {
  const length = o.PasswordLength ?? 32;
  if (!Number.isInteger(length) || length < 1)
    throw errors.validation(length, 'passwordLength', 'Member must have value greater than or equal to 1');
  if (length > 4096) throw errors.validation(length, 'passwordLength', 'Member must have value less than or equal to 4096');
  if (o.ExcludeCharacters !== undefined && o.ExcludeCharacters.length > 4096) {
    throw errors.validation(o.ExcludeCharacters, 'excludeCharacters', 'Member must have length less than or equal to 4096');
  }
  const excluded = new Set(o.ExcludeCharacters ?? '');
  const keep = (chars: string) => [...chars].filter((c) => !excluded.has(c)).join('');
  const types = [
    o.ExcludeLowercase ? '' : keep(LOWER),
    o.ExcludeUppercase ? '' : keep(UPPER),
    o.ExcludeNumbers ? '' : keep(DIGITS),
    o.ExcludePunctuation ? '' : keep(PUNCTUATION),
  ].filter(Boolean);
  const space = o.IncludeSpace && !excluded.has(' ') ? ' ' : '';
  const all = types.join('') + space;
  if (!all) throw errors.noCharacters();
  const required = o.RequireEachIncludedType === false ? [] : types;
  if (required.length > length) throw errors.passwordTooShort();
  const pick = (chars: string) => chars[randomInt(chars.length)];
  const out = required.map(pick);
  while (out.length < length) out.push(pick(all));
  // Shuffle so that the required characters are not always first (Fisher–Yates).
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.join('');
}

export function getRandomPassword(input: PasswordOptions) {
  return { RandomPassword: randomPassword(input) };
}
