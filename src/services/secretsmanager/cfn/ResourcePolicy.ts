import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { bool, given, str } from '../../cloudformation/providers/values.js';

/** The policy as PutResourcePolicy takes it: a template may give the JSON object or its text. */
const policyText = (p: Props) => (typeof p.ResourcePolicy === 'string' ? p.ResourcePolicy : JSON.stringify(p.ResourcePolicy));

async function put(props: Props, ctx: ProviderContext) {
  const secretId = str(props.SecretId);
  if (!secretId) throw new Error('Properties validation failed for resource: required key [SecretId] not found');
  if (props.ResourcePolicy === undefined)
    throw new Error('Properties validation failed for resource: required key [ResourcePolicy] not found');
  const out = await ctx.invoke('secretsmanager', 'PutResourcePolicy', {
    SecretId: secretId,
    ResourcePolicy: policyText(props),
    BlockPublicPolicy: bool(props.BlockPublicPolicy),
  });
  const arn = given(out.ARN, 'ARN');
  return { physicalId: arn, attributes: { Id: arn } };
}

/** AWS::SecretsManager::ResourcePolicy (what CDK's `secret.addToResourcePolicy` makes): Ref and GetAtt Id are the secret's ARN. */
export const resourcePolicyProvider: ResourceProvider = {
  type: 'AWS::SecretsManager::ResourcePolicy',
  replaceOn: ['SecretId'],
  create: put,
  update: (_arn, props, _previous, ctx) => put(props, ctx),
  async delete(arn, _props, ctx) {
    try {
      await ctx.invoke('secretsmanager', 'DeleteResourcePolicy', { SecretId: arn });
    } catch (err) {
      if (!isAwsError(err, 'ResourceNotFoundException') && !isAwsError(err, 'InvalidRequestException')) throw err;
    }
  },
};

registerProvider(resourcePolicyProvider);
