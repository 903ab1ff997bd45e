import { paginate } from '../../../protocol/paginate.js';
import { cfnErrors } from '../errors.js';

/**
 * CloudFormation's List and Describe operations take a NextToken but no page size: the service decides (AWS pages
 * by response size; 100 entries is what clients see for stacks, events and resources).
 */
export const PAGE_SIZE = 100;

export function cfnPage<T>(all: readonly T[], token: string | undefined, bind: unknown): { items: T[]; NextToken?: string } {
  const { items, next } = paginate(all, {
    token,
    max: undefined,
    defaultMax: PAGE_SIZE,
    bind,
    badToken: () => cfnErrors.invalidNextToken(),
  });
  return { items, NextToken: next };
}
