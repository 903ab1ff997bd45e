import { isAwsError } from '../../../protocol/errors.js';
import { registerProvider } from '../../cloudformation/providers/registry.js';
import type { Props, ProviderContext, ResourceProvider } from '../../cloudformation/providers/types.js';
import { bool, given, num, str } from '../../cloudformation/providers/values.js';
import { randomChars } from '../state.js';

type Tag = { Key: string; Value: string };

const tagsOf = (p: Props): Tag[] =>
  Array.isArray(p.Tags)
    ? p.Tags.map((t: { Key?: unknown; Value?: unknown }) => ({ Key: String(t.Key), Value: String(t.Value ?? '') }))
    : [];

/** GenerateSecretString: a GetRandomPassword with the template's options, alone or as one key of a JSON template. */
async function generatedString(g: Props, ctx: ProviderContext): Promise<string> {
  const template = str(g.SecretStringTemplate);
  const key = str(g.GenerateStringKey);
  if ((template === undefined) !== (key === undefined)) {
    throw new Error(
      'Properties validation failed for resource: GenerateSecretString needs both SecretStringTemplate and GenerateStringKey, or neither',
    );
  }
  const generated = await ctx.invoke('secretsmanager', 'GetRandomPassword', {
    PasswordLength: num(g.PasswordLength),
    ExcludeCharacters: str(g.ExcludeCharacters),
    ExcludeNumbers: bool(g.ExcludeNumbers),
    ExcludePunctuation: bool(g.ExcludePunctuation),
    ExcludeUppercase: bool(g.ExcludeUppercase),
    ExcludeLowercase: bool(g.ExcludeLowercase),
    IncludeSpace: bool(g.IncludeSpace),
    RequireEachIncludedType: bool(g.RequireEachIncludedType),
  });
  const RandomPassword = given(generated.RandomPassword, 'RandomPassword');
  if (template === undefined || key === undefined) return RandomPassword;
  let doc: unknown;
  try {
    doc = JSON.parse(template);
  } catch {
    throw new Error('Properties validation failed for resource: SecretStringTemplate must be a valid JSON object');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error('Properties validation failed for resource: SecretStringTemplate must be a valid JSON object');
  return JSON.stringify({ ...doc, [key]: RandomPassword });
}

async function secretStringOf(props: Props, ctx: ProviderContext): Promise<string | undefined> {
  if (props.SecretString !== undefined && props.GenerateSecretString !== undefined) {
    throw new Error("Properties validation failed for resource: you can't specify both SecretString and GenerateSecretString");
  }
  if (props.GenerateSecretString !== undefined) return generatedString(props.GenerateSecretString as Props, ctx);
  return str(props.SecretString);
}

const attributes = (arn: string) => ({ Id: arn });

/**
 * AWS::SecretsManager::Secret: Ref and GetAtt Id are the secret's ARN. Without SecretString or
 * GenerateSecretString, CloudFormation generates a 32-character password, as AWS does. Deletion is immediate
 * (ForceDeleteWithoutRecovery), so a stack can be made again with the same secret name.
 */
export const secretProvider: ResourceProvider = {
  type: 'AWS::SecretsManager::Secret',
  replaceOn: ['Name', 'ReplicaRegions'],
  async create(props, ctx) {
    const name = str(props.Name) ?? `${ctx.logicalId}-${randomChars(12)}`;
    const secretString = (await secretStringOf(props, ctx)) ?? (await generatedString({}, ctx));
    const out = await ctx.invoke('secretsmanager', 'CreateSecret', {
      Name: name,
      Description: str(props.Description),
      KmsKeyId: str(props.KmsKeyId),
      SecretString: secretString,
      Tags: [...tagsOf(props), ...ctx.stackTags],
    });
    const arn = given(out.ARN, 'ARN');
    return { physicalId: arn, attributes: attributes(arn) };
  },
  async update(arn, props, previous, ctx) {
    const valueChanged =
      JSON.stringify(props.SecretString) !== JSON.stringify(previous.SecretString) ||
      JSON.stringify(props.GenerateSecretString) !== JSON.stringify(previous.GenerateSecretString);
    await ctx.invoke('secretsmanager', 'UpdateSecret', {
      SecretId: arn,
      Description: str(props.Description) ?? '',
      KmsKeyId: str(props.KmsKeyId),
      SecretString: valueChanged ? ((await secretStringOf(props, ctx)) ?? (await generatedString({}, ctx))) : undefined,
    });
    const keys = new Set(tagsOf(props).map((t) => t.Key));
    const removed = tagsOf(previous)
      .map((t) => t.Key)
      .filter((k) => !keys.has(k));
    if (removed.length) await ctx.invoke('secretsmanager', 'UntagResource', { SecretId: arn, TagKeys: removed });
    if (keys.size) await ctx.invoke('secretsmanager', 'TagResource', { SecretId: arn, Tags: tagsOf(props) });
    return { physicalId: arn, attributes: attributes(arn) };
  },
  async delete(arn, _props, ctx) {
    try {
      await ctx.invoke('secretsmanager', 'DeleteSecret', { SecretId: arn, ForceDeleteWithoutRecovery: true });
    } catch (err) {
      if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
    }
  },
};

registerProvider(secretProvider);
