import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Replaces (or adds) one [section] of an INI file, leaving the rest as it was. */
export function setIniSection(text: string, section: string, values: Record<string, string>): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    const header = /^\s*\[(.+)\]\s*$/.exec(line);
    if (header) skipping = header[1].trim() === section;
    if (!skipping) out.push(line);
  }
  while (out.length && out[out.length - 1].trim() === '') out.pop();
  const block = [`[${section}]`, ...Object.entries(values).map(([k, v]) => `${k} = ${v}`)];
  return `${[...out, ...(out.length ? [''] : []), ...block].join('\n')}\n`;
}

/** Writes the aws CLI profile `name` (credentials and config); returns the files written. */
export function writeAwsProfile(
  name: string,
  access: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string },
): string[] {
  const dir = path.join(os.homedir(), '.aws');
  const credentialsFile = process.env.AWS_SHARED_CREDENTIALS_FILE || path.join(dir, 'credentials');
  const configFile = process.env.AWS_CONFIG_FILE || path.join(dir, 'config');
  const update = (file: string, section: string, values: Record<string, string>) => {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
    writeFileSync(file, setIniSection(before, section, values), { mode: 0o600 });
  };
  update(credentialsFile, name, { aws_access_key_id: access.accessKeyId, aws_secret_access_key: access.secretAccessKey });
  update(configFile, `profile ${name}`, { region: access.region, endpoint_url: access.endpoint, output: 'json' });
  return [credentialsFile, configFile];
}
