import { randomBytes } from 'node:crypto';

/** EFS ids: fs-, fsmt-, fsap- and 17 hex digits. */
export const newEfsId = (prefix: 'fs' | 'fsmt' | 'fsap') => `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
