import { registerProvider } from '../cloudformation/providers/registry.js';
import type { ResourceProvider } from '../cloudformation/providers/types.js';
import { str } from '../cloudformation/providers/values.js';

/** What CreateKeyPair and ImportKeyPair answer that the resource shows. */
type KeyPairOutput = { KeyName: string; KeyPairId: string; KeyFingerprint: string };

/** AWS::EC2::KeyPair: Ref is the key name; GetAtt KeyPairId and KeyFingerprint. Every property needs replacement. */
export const keyPairProvider: ResourceProvider = {
  type: 'AWS::EC2::KeyPair',
  required: ['KeyName'],
  replaceOn: ['KeyName', 'KeyType', 'KeyFormat', 'PublicKeyMaterial', 'Tags'],
  async create(props, ctx) {
    const given = props.Tags as Array<{ Key: string; Value: string }> | undefined;
    const tags = given?.length ? [{ ResourceType: 'key-pair', Tags: given }] : undefined;
    const r = props.PublicKeyMaterial
      ? await ctx.invoke<KeyPairOutput>('ec2', 'ImportKeyPair', {
          KeyName: str(props.KeyName),
          PublicKeyMaterial: Buffer.from(String(props.PublicKeyMaterial)),
          TagSpecifications: tags,
        })
      : await ctx.invoke<KeyPairOutput>('ec2', 'CreateKeyPair', {
          KeyName: str(props.KeyName),
          KeyType: str(props.KeyType),
          KeyFormat: str(props.KeyFormat),
          TagSpecifications: tags,
        });
    return { physicalId: r.KeyName, attributes: { KeyPairId: r.KeyPairId, KeyFingerprint: r.KeyFingerprint } };
  },
  async delete(physicalId, _props, ctx) {
    await ctx.invoke('ec2', 'DeleteKeyPair', { KeyName: physicalId });
  },
};

registerProvider(keyPairProvider);
