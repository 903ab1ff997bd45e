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

export const notFound = (code: string, message: string) => new AwsError(code, message, 400);
export const invalidParameter = (message: string) => new AwsError('InvalidParameterValue', message);
