/** An error as AWS sends it: a code from the service model, a message, an HTTP status, and who is at fault. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly sender = status < 500,
  ) {
    super(message);
    this.name = code;
  }
}

/** How one error of a service is declared: its wire code, HTTP status and how its message is written. */
export interface ErrorSpec<A extends unknown[]> {
  code: string;
  /** HTTP status; 400 unless given. */
  status?: number;
  /** Whether the caller is at fault (the Sender/Server fault type); by the status unless given. */
  sender?: boolean;
  message: (...args: A) => string;
}

export type ErrorFactories<T> = { [K in keyof T]: T[K] extends ErrorSpec<infer A> ? (...args: A) => AwsError : never };

/**
 * Declares a service's errors once (in its `errors.ts`): callers raise them by name (`errors.groupNotFound(name)`),
 * and code elsewhere (the CloudFormation engine, providers) matches on `err.code`, never on message text.
 */
export function declareErrors<T extends Record<string, ErrorSpec<any[]>>>(specs: T): ErrorFactories<T> {
  const out: Record<string, (...args: unknown[]) => AwsError> = {};
  for (const [name, spec] of Object.entries(specs))
    out[name] = (...args) => new AwsError(spec.code, spec.message(...args), spec.status ?? 400, spec.sender);
  return out as ErrorFactories<T>;
}

/** True when `err` is the AWS error with this code (what callers match on instead of message text). */
export function isAwsError(err: unknown, code?: string): err is AwsError {
  return err instanceof AwsError && (code === undefined || err.code === code);
}
