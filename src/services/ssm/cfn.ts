import { registerProvider } from '../cloudformation/providers/registry.js';
import type { Props, ResourceProvider } from '../cloudformation/providers/types.js';
import { propsOf } from '../cloudformation/providers/props.js';
import { str } from '../cloudformation/providers/values.js';
import { isAwsError } from '../../protocol/errors.js';

function putInput(name: string, props: Props, overwrite: boolean) {
  // In templates SSM parameter Tags are a map of key to value.
  const tags =
    props.Tags && typeof props.Tags === 'object' && !Array.isArray(props.Tags)
      ? Object.entries(props.Tags as Record<string, unknown>).map(([Key, Value]) => ({ Key, Value: String(Value) }))
      : undefined;
  return {
    Name: name,
    Type: str(props.Type),
    Value: Array.isArray(props.Value) ? props.Value.join(',') : propsOf(props, name).requiredStr('Value'),
    Description: str(props.Description),
    AllowedPattern: str(props.AllowedPattern),
    Tier: str(props.Tier),
    DataType: str(props.DataType),
    Overwrite: overwrite || undefined,
    Tags: overwrite ? undefined : tags?.length ? tags : undefined,
  };
}

/** Ref is the parameter name; GetAtt Type and Value. SecureString cannot be made by CloudFormation (as in AWS). */
export const ssmParameterProvider: ResourceProvider = {
  type: 'AWS::SSM::Parameter',
  required: ['Type', 'Value'],
  replaceOn: ['Name'],
  async create(props, ctx) {
    if (props.Type === 'SecureString')
      throw new Error('SecureString parameters cannot be created by CloudFormation; use String or StringList');
    const name = str(props.Name) ?? `CFN-${ctx.logicalId}-${ctx.physicalName(20).split('-').pop()}`;
    await ctx.invoke('ssm', 'PutParameter', putInput(name, props, false));
    return { physicalId: name, attributes: { Type: props.Type, Value: putInput(name, props, false).Value } };
  },
  async update(name, props, _previous, ctx) {
    await ctx.invoke('ssm', 'PutParameter', putInput(name, props, true));
    return { physicalId: name, attributes: { Type: props.Type, Value: putInput(name, props, true).Value } };
  },
  async delete(name, _props, ctx) {
    try {
      await ctx.invoke('ssm', 'DeleteParameter', { Name: name });
    } catch (err) {
      if (!isAwsError(err, 'ParameterNotFound')) throw err;
    }
  },
};

registerProvider(ssmParameterProvider);
