/** A header's value from a raw header list (name, value, name, value ...); repeated headers joined with commas. */
export function headerValue(rawHeaders: string[], name: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1]);
  }
  return values.length ? values.join(',') : undefined;
}
