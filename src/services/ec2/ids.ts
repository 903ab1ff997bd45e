import { randomBytes } from 'node:crypto';

/** EC2-style resource ids: a prefix and 17 hex digits, e.g. vpc-0a1b2c3d4e5f60718. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}
