import { registerProvider } from '../cloudformation/providers/registry.js';
import type { ResourceProvider } from '../cloudformation/providers/types.js';
import { propsOf } from '../cloudformation/providers/props.js';
import { given } from '../cloudformation/providers/values.js';

/** AWS::EC2::KeyPair: Ref is the key name; GetAtt KeyPairId and KeyFingerprint. Every property needs replacement. */
export const keyPairProvider: ResourceProvider = {
  type: 'AWS::EC2::KeyPair',
  required: ['KeyName'],
  replaceOn: ['KeyName', 'KeyType', 'KeyFormat', 'PublicKeyMaterial', 'Tags'],
  async create(props, ctx) {
    const p = propsOf(props, ctx.logicalId);
    const own = p.tags();
    const tags = own.length ? [{ ResourceType: 'key-pair', Tags: own }] : undefined;
    const material = p.str('PublicKeyMaterial');
    const r = material
      ? await ctx.invoke('ec2', 'ImportKeyPair', {
          KeyName: p.requiredStr('KeyName'),
          PublicKeyMaterial: Buffer.from(material),
          TagSpecifications: tags,
        })
      : await ctx.invoke('ec2', 'CreateKeyPair', {
          KeyName: p.requiredStr('KeyName'),
          KeyType: p.str('KeyType'),
          KeyFormat: p.str('KeyFormat'),
          TagSpecifications: tags,
        });
    return { physicalId: given(r.KeyName, 'KeyName'), attributes: { KeyPairId: r.KeyPairId, KeyFingerprint: r.KeyFingerprint } };
  },
  async delete(physicalId, _props, ctx) {
    await ctx.invoke('ec2', 'DeleteKeyPair', { KeyName: physicalId });
  },
};

registerProvider(keyPairProvider);
