import { AwsError } from '../../protocol/errors.js';

export interface PageInput {
  Marker?: string;
  MaxItems?: number;
}

/** IAM's Marker / MaxItems pagination (default page 100, at most 1000). */
export function paginate<T>(items: T[], input: PageInput): { page: T[]; IsTruncated: boolean; Marker?: string } {
  const max = input.MaxItems ?? 100;
  if (max < 1 || max > 1000) {
    throw new AwsError('ValidationError', `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`);
  }
  let start = 0;
  if (input.Marker !== undefined) {
    start = Number.parseInt(Buffer.from(input.Marker, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(start) || start < 0) throw new AwsError('ValidationError', 'Invalid Marker.');
  }
  const page = items.slice(start, start + max);
  const more = start + max < items.length;
  return { page, IsTruncated: more, Marker: more ? Buffer.from(String(start + max)).toString('base64url') : undefined };
}
