import { ec2Errors } from '../errors.js';
import { findRegion, zonesOf } from '../../../topology/regions.js';
import type { RequestContext } from '../../types.js';
import { attachInternetGateway, createInternetGateway } from './internet-gateways.js';
import { createRoute } from './route-tables.js';
import { emitNetwork, subnets, vpcs } from './state.js';
import { createSubnet } from './subnets.js';
import { makeVpc, vpcOutput } from './vpcs.js';

/**
 * The default VPC as AWS makes it: 172.31.0.0/16 with DNS hostnames on, an attached internet gateway routed from
 * the main table, and one /20 default subnet per zone that gives instances a public IP.
 */
export function createDefaultVpc(_input: unknown, ctx: RequestContext) {
  if (
    vpcs(ctx.cloud.store)
      .list(ctx.region)
      .some((v) => v.IsDefault)
  ) {
    throw ec2Errors.defaultVpcAlreadyExists();
  }
  const vpc = makeVpc(ctx, { cidrBlock: '172.31.0.0/16', tenancy: 'default', tags: [], isDefault: true });
  const igwId = createInternetGateway({}, ctx).InternetGateway.InternetGatewayId;
  attachInternetGateway({ InternetGatewayId: igwId, VpcId: vpc.VpcId }, ctx);
  createRoute({ RouteTableId: vpc.MainRouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }, ctx);
  const region = findRegion(ctx.region);
  (region ? zonesOf(region) : []).forEach((zone, i) => {
    const { Subnet } = createSubnet({ VpcId: vpc.VpcId, CidrBlock: `172.31.${16 * i}.0/20`, AvailabilityZone: zone.zoneName }, ctx);
    const record = subnets(ctx.cloud.store).get(ctx.region, Subnet.SubnetId);
    if (!record) return;
    subnets(ctx.cloud.store).put(ctx.region, record.SubnetId, { ...record, DefaultForAz: true, MapPublicIpOnLaunch: true });
    emitNetwork(ctx.cloud, 'ec2.subnetChanged', {
      region: ctx.region,
      subnetId: record.SubnetId,
      vpcId: vpc.VpcId,
      cidrBlock: record.CidrBlock,
      availabilityZone: record.AvailabilityZone,
    });
  });
  return { Vpc: vpcOutput(vpc, 'pending') };
}
