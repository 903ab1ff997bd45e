import { ec2Errors } from '../errors.js';
import { runtimeOf } from '../../../runtime/runtime.js';
import type { RequestContext } from '../../types.js';
import { findInstances, metadataOptions } from './instances.js';
import { updateInstance } from './lifecycle.js';

interface ModifyInstanceMetadataOptionsInput {
  InstanceId: string;
  HttpTokens?: string;
  HttpPutResponseHopLimit?: number;
  HttpEndpoint?: string;
  HttpProtocolIpv6?: string;
  InstanceMetadataTags?: string;
  DryRun?: boolean;
}

/**
 * Changes the metadata options of a running or stopped instance; what the request leaves out keeps its value. The
 * metadata responder reads the options per request and the hop limit is re-applied to the instance's nft rules at
 * once, so the change is in force when the answer (state `pending`, as EC2 answers for a running instance) arrives.
 */
export async function modifyInstanceMetadataOptions(input: ModifyInstanceMetadataOptionsInput, ctx: RequestContext) {
  const [r] = findInstances(ctx, [input.InstanceId]);
  if (input.HttpProtocolIpv6 === 'enabled') throw ec2Errors.metadataIpv6Unsupported();
  const next = metadataOptions({
    HttpTokens: input.HttpTokens ?? r.MetadataOptions.HttpTokens,
    HttpEndpoint: input.HttpEndpoint ?? r.MetadataOptions.HttpEndpoint,
    HttpPutResponseHopLimit:
      input.HttpPutResponseHopLimit === undefined || input.HttpPutResponseHopLimit === -1
        ? r.MetadataOptions.HttpPutResponseHopLimit
        : input.HttpPutResponseHopLimit,
    InstanceMetadataTags: input.InstanceMetadataTags ?? r.MetadataOptions.InstanceMetadataTags,
  });
  if (r.State.Name === 'terminated' || r.State.Name === 'shutting-down') {
    throw ec2Errors.instanceStateForbidsModify(r.InstanceId);
  }
  if (input.DryRun) throw ec2Errors.dryRun();
  updateInstance(ctx.cloud, ctx.region, r.InstanceId, (x) => ({ ...x, MetadataOptions: next }));
  await runtimeOf(ctx.cloud).refreshPublic();
  return {
    InstanceId: r.InstanceId,
    InstanceMetadataOptions: { State: r.State.Name === 'running' ? 'pending' : 'applied', ...next, HttpProtocolIpv6: 'disabled' },
  };
}
