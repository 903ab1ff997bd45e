/** The AWS error code an SDK call fails with, or 'no error'. */
export async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).name;
  }
  return 'no error';
}
