import { randomBytes, randomInt } from 'node:crypto';
import type { Store, Table } from '../store/db.js';

/** Who a request comes from. The cloud's admin may do everything; role sessions are checked against IAM. */
export interface Principal {
  /**
   * `instance`: an instance speaking to its platform without credentials, through the metadata address (as
   * cfn-signal does on AWS); it has no policies, so only operations that accept it by design act for it.
   */
  type: 'admin' | 'user' | 'assumed-role' | 'instance';
  accountId: string;
  arn: string;
  userId: string;
  /** For assumed roles: the role's ARN, whose policies apply. */
  roleArn?: string;
  roleName?: string;
}

/** A session of a role (AssumeRole, an instance profile's credentials): `assumed-role/<role>/<session>`. */
export function roleSessionPrincipal(
  accountId: string,
  role: { RoleName: string; RoleId: string; Arn: string },
  sessionName: string,
): Principal & { type: 'assumed-role' } {
  return {
    type: 'assumed-role',
    accountId,
    arn: `arn:aws:sts::${accountId}:assumed-role/${role.RoleName}/${sessionName}`,
    userId: `${role.RoleId}:${sessionName}`,
    roleArn: role.Arn,
    roleName: role.RoleName,
  };
}

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Epoch ms; temporary credentials only. */
  expiration?: number;
  principal: Principal;
}

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function randomId(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export class Credentials {
  private readonly keys: Table<AccessKey>;

  constructor(private readonly store: Store) {
    this.keys = store.table<AccessKey>('iam.accessKey');
  }

  /** The account of this cloud: 12 digits, chosen on first start and kept. */
  accountId(): string {
    let id = this.store.meta('accountId');
    if (!id) {
      id = String(randomInt(100000, 999999)) + String(randomInt(100000, 999999));
      this.store.setMeta('accountId', id);
    }
    return id;
  }

  /** The admin key pair, created on first start. */
  admin(): AccessKey {
    const id = this.store.meta('adminAccessKeyId');
    const existing = id ? this.keys.get('global', id) : undefined;
    if (existing) return existing;
    const accountId = this.accountId();
    const key: AccessKey = {
      accessKeyId: `AKIA${randomId(ALPHANUM, 16)}`,
      secretAccessKey: randomId(B64, 40),
      principal: { type: 'admin', accountId, arn: `arn:aws:iam::${accountId}:root`, userId: accountId },
    };
    this.store.tx(() => {
      this.keys.put('global', key.accessKeyId, key);
      this.store.setMeta('adminAccessKeyId', key.accessKeyId);
    });
    return key;
  }

  find(accessKeyId: string): AccessKey | undefined {
    return this.keys.get('global', accessKeyId);
  }

  /** Temporary credentials (ASIA...) with a session token, as STS and instance roles hand out. */
  issueTemporary(principal: Principal, lifetimeMs: number, now: number): AccessKey {
    const key: AccessKey = {
      accessKeyId: `ASIA${randomId(ALPHANUM, 16)}`,
      secretAccessKey: randomId(B64, 40),
      sessionToken: randomBytes(96).toString('base64'),
      expiration: now + lifetimeMs,
      principal,
    };
    this.keys.put('global', key.accessKeyId, key);
    return key;
  }

  revoke(accessKeyId: string): void {
    this.keys.delete('global', accessKeyId);
  }
}
