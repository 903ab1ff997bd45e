import type { Cloud } from '../../cloud.js';

export interface Tag {
  Key: string;
  Value: string;
}

export type ParameterType = 'String' | 'StringList' | 'SecureString';

/** One version of a parameter; SecureString values are kept encrypted (see secure-string.ts). */
export interface ParameterVersion {
  Version: number;
  Type: ParameterType;
  Value: string;
  Description?: string;
  KeyId?: string;
  AllowedPattern?: string;
  DataType: string;
  Tier: string;
  LastModifiedDate: string;
  LastModifiedUser: string;
  Labels: string[];
}

export interface ParameterRecord {
  Name: string;
  /** Oldest first; the last one is the current version. */
  Versions: ParameterVersion[];
  Tags: Tag[];
}

export const parameters = (cloud: Cloud) => cloud.store.table<ParameterRecord>('ssm.parameter');

export const current = (p: ParameterRecord): ParameterVersion => p.Versions[p.Versions.length - 1];
