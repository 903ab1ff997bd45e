import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  DetachInternetGatewayCommand,
  DisassociateAddressCommand,
  EC2Client,
  ReleaseAddressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ensureImage } from '../src/runtime/images.js';
import { TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';

/**
 * Elastic IPs against real instances (RunInstances needs root: namespaces, nftables, mounts). The default image is
 * built once into HALO_IMAGE_CACHE (default /var/cache/halo-images).
 */
const ROOT = process.getuid?.() === 0;
process.env.HALO_IMAGE_CACHE ||= '/var/cache/halo-images';

describe('EC2 Elastic IPs through the SDK and the real aws CLI', { skip: !ROOT && 'needs root: instances run as sandboxes' }, () => {
  let cloud: TestCloud;
  let ec2: EC2Client;
  let vpcId: string;
  let igwId: string;
  let subnetId: string;
  let i1: { id: string; ip: string; eni: string };
  let i2: { id: string; ip: string; eni: string };

  before(async () => {
    await ensureImage(process.env.HALO_IMAGE_CACHE as string);
    cloud = await TestCloud.start({ profile: 'instant' });
    ec2 = new EC2Client(cloud.sdk);
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
    subnetId =
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet
        ?.SubnetId ?? '';
    igwId = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId ?? '';
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-1ecae776', InstanceType: 't2.micro', MinCount: 2, MaxCount: 2, SubnetId: subnetId }),
    );
    const [a, b] = (run.Instances ?? []).map((i) => ({
      id: i.InstanceId ?? '',
      ip: i.PrivateIpAddress ?? '',
      eni: i.NetworkInterfaces?.[0]?.NetworkInterfaceId ?? '',
    }));
    i1 = a;
    i2 = b;
  });
  after(async () => {
    ec2?.destroy();
    await cloud?.dispose();
  });

  const address = async (allocationId: string) =>
    (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }))).Addresses?.[0];

  it('allocates distinct addresses from the loopback pool and describes them', async () => {
    const r = cloud.aws('ec2', 'allocate-address', '--domain', 'vpc');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.json.AllocationId, /^eipalloc-[0-9a-f]{17}$/);
    assert.match(r.json.PublicIp, /^127\.100\.\d+\.\d+$/);
    assert.equal(r.json.Domain, 'vpc');
    const more = await Promise.all([1, 2, 3].map(() => ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))));
    const ips = [r.json.PublicIp, ...more.map((m) => m.PublicIp)];
    assert.equal(new Set(ips).size, 4);
    const listed = cloud.aws('ec2', 'describe-addresses', '--public-ips', r.json.PublicIp);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(
      listed.json.Addresses.map((x: any) => [x.AllocationId, x.Domain, x.AssociationId]),
      [[r.json.AllocationId, 'vpc', undefined]],
    );
    for (const m of more) await ec2.send(new ReleaseAddressCommand({ AllocationId: m.AllocationId }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: r.json.AllocationId }));
    assert.equal(
      await errorName(ec2.send(new ReleaseAddressCommand({ AllocationId: r.json.AllocationId }))),
      'InvalidAllocationID.NotFound',
    );
    assert.equal(await errorName(ec2.send(new DescribeAddressesCommand({ PublicIps: ['127.100.9.9'] }))), 'InvalidAddress.NotFound');
  });

  it('associate needs AllowReassociation to move an associated address; release refuses while associated', async () => {
    const a = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const b = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const allocA = a.AllocationId ?? '';
    const allocB = b.AllocationId ?? '';

    // As the seed's user data calls it.
    const first = cloud.aws('ec2', 'associate-address', '--instance-id', i1.id, '--allocation-id', allocA);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.json.AssociationId, /^eipassoc-/);
    const { NetworkInterfaceOwnerId, ...shown } = (await address(allocA)) ?? {};
    assert.match(NetworkInterfaceOwnerId ?? '', /^\d{12}$/);
    assert.deepEqual(shown, {
      AllocationId: allocA,
      PublicIp: a.PublicIp,
      Domain: 'vpc',
      AssociationId: first.json.AssociationId,
      InstanceId: i1.id,
      NetworkInterfaceId: i1.eni,
      PrivateIpAddress: i1.ip,
      PublicIpv4Pool: 'amazon',
      NetworkBorderGroup: 'us-east-1',
    });
    // Same target again: idempotent.
    assert.equal(
      (await ec2.send(new AssociateAddressCommand({ AllocationId: allocA, InstanceId: i1.id }))).AssociationId,
      first.json.AssociationId,
    );

    const refused = cloud.aws('ec2', 'associate-address', '--instance-id', i2.id, '--allocation-id', allocA);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /\(Resource\.AlreadyAssociated\)/);
    assert.equal((await address(allocA))?.InstanceId, i1.id);

    const moved = await ec2.send(new AssociateAddressCommand({ AllocationId: allocA, InstanceId: i2.id, AllowReassociation: true }));
    assert.notEqual(moved.AssociationId, first.json.AssociationId);
    assert.equal((await address(allocA))?.InstanceId, i2.id);
    assert.equal(
      await errorName(ec2.send(new DisassociateAddressCommand({ AssociationId: first.json.AssociationId }))),
      'InvalidAssociationID.NotFound',
    );

    // By network interface: the interface's earlier Elastic IP is displaced, and stays allocated.
    await ec2.send(new AssociateAddressCommand({ AllocationId: allocB, NetworkInterfaceId: i2.eni }));
    assert.equal((await address(allocB))?.InstanceId, i2.id);
    assert.equal((await address(allocA))?.AssociationId, undefined);

    assert.equal(await errorName(ec2.send(new ReleaseAddressCommand({ AllocationId: allocB }))), 'InvalidIPAddress.InUse');
    // The gateway cannot be detached while the VPC has mapped public addresses.
    assert.equal(
      await errorName(ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }))),
      'DependencyViolation',
    );
    await ec2.send(new DisassociateAddressCommand({ AssociationId: (await address(allocB))?.AssociationId }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: allocB }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: allocA }));
  });

  it('instances took the first free private addresses of their subnet, which cannot be deleted under them', async () => {
    assert.deepEqual([i1.ip, i2.ip].sort(), ['10.0.1.4', '10.0.1.5']);
    const [subnet] = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets ?? [];
    assert.equal(subnet?.AvailableIpAddressCount, 256 - 5 - 2);
    assert.equal(await errorName(ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }))), 'DependencyViolation');
  });

  it('refuses unknown instances, interfaces and allocations', async () => {
    const alloc = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId;
    assert.equal(
      await errorName(ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: 'i-00000000000000000' }))),
      'InvalidInstanceID.NotFound',
    );
    assert.equal(
      await errorName(ec2.send(new AssociateAddressCommand({ AllocationId: alloc, NetworkInterfaceId: 'eni-00000000000000000' }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
    assert.equal(
      await errorName(ec2.send(new AssociateAddressCommand({ AllocationId: 'eipalloc-00000000000000000', InstanceId: i1.id }))),
      'InvalidAllocationID.NotFound',
    );
    assert.equal(await errorName(ec2.send(new AssociateAddressCommand({ AllocationId: alloc }))), 'MissingParameter');
    assert.equal(
      await errorName(ec2.send(new DescribeAddressesCommand({ AllocationIds: ['eipalloc-00000000000000000'] }))),
      'InvalidAllocationID.NotFound',
    );
    const filtered = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: [alloc ?? ''] }] }));
    assert.deepEqual(
      filtered.Addresses?.map((x) => x.AllocationId),
      [alloc],
    );
    // Without an internet gateway on the instance's VPC, an Elastic IP cannot reach it.
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
    assert.equal(await errorName(ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: i1.id }))), 'Gateway.NotAttached');
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
  });

  it('a terminated instance loses its Elastic IP, which stays allocated', async () => {
    const alloc = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId ?? '';
    await ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: i1.id }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [i1.id, i2.id] }));
    // The association ends when the instance reaches terminated (shutting-down takes a moment of cloud time).
    for (let i = 0; i < 600; i++) {
      const [r] = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [i1.id] }))).Reservations ?? [];
      if (r?.Instances?.[0]?.State?.Name === 'terminated') break;
      await sleep(100);
    }
    const after = await address(alloc);
    assert.equal(after?.AllocationId, alloc);
    assert.equal(after?.InstanceId, undefined);
  });
});
