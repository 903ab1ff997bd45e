import type { Principal } from '../../../auth/credentials.js';
import type { Cloud } from '../../../cloud.js';
import { isAwsError } from '../../../protocol/errors.js';
import type { VolumeRequestResult } from '../../../runtime/volumes.js';

/**
 * What an instance asks of its platform without credentials, through its metadata address, as the instance itself:
 * `cfn-signal` (CloudFormation accepts signals from a stack's own instances with no IAM permission and no
 * credentials, as on AWS, where the helper needs none). Undefined for routes that are not the services' (mounts).
 */
export async function platformRequest(
  cloud: Cloud,
  instanceId: string,
  region: string,
  route: string,
  params: URLSearchParams,
): Promise<VolumeRequestResult | undefined> {
  if (route !== 'cfn-signal') return undefined;
  const principal: Principal = {
    type: 'instance',
    accountId: cloud.accountId,
    arn: `arn:aws:ec2:${region}:${cloud.accountId}:instance/${instanceId}`,
    userId: instanceId,
  };
  const input = {
    StackName: params.get('stack') ?? '',
    LogicalResourceId: params.get('resource') ?? '',
    UniqueId: params.get('id') || instanceId,
    Status: params.get('status') ?? '',
  };
  try {
    await cloud.invoke('cloudformation', 'SignalResource', input, { region: params.get('region') || region, principal });
    return { status: 200, body: '' };
  } catch (err) {
    if (isAwsError(err)) return { status: err.status, body: `${err.code}: ${err.message}` };
    throw err;
  }
}
