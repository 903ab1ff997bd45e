/** An error the CLI reports as one line (`halo: <message>`) with its exit code, without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
