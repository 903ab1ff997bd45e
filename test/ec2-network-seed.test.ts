import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNetworkAclEntryCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNetworkAclCommand,
  DeleteNetworkAclEntryCommand,
  DeleteRouteCommand,
  DeleteRouteTableCommand,
  DescribeRouteTablesCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ReplaceNetworkAclEntryCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
} from '@aws-sdk/client-ec2';
import { TestCloud } from './support/cloud.js';
import { errorName } from './support/errors.js';

/** The network of the seed's recovery.json (VPC, subnet, gateway, routes, ACL, group), made with the aws CLI as a person would. */
describe("the seed's network resources through the real aws CLI", () => {
  let cloud: TestCloud;
  let ec2: EC2Client;
  before(async () => {
    cloud = await TestCloud.start();
    ec2 = new EC2Client(cloud.sdk);
  });
  after(async () => {
    ec2?.destroy();
    await cloud?.dispose();
  });

  const ok = (...args: string[]) => cloud.awsOk('ec2', ...args);

  it("creates recovery.json's VPC, subnet, gateway, route table, ACL and group, and describes them back", () => {
    const tag = 'ResourceType=%s,Tags=[{Key=Name,Value=jenkins-recovery}]';
    const vpcId = ok('create-vpc', '--cidr-block', '10.0.0.0/16', '--tag-specifications', tag.replace('%s', 'vpc')).Vpc.VpcId;
    ok('modify-vpc-attribute', '--vpc-id', vpcId, '--enable-dns-hostnames', '{"Value":true}');
    const subnetId = ok('create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.0.0.0/24', '--availability-zone', 'us-east-1a').Subnet
      .SubnetId;
    const igwId = ok('create-internet-gateway', '--tag-specifications', tag.replace('%s', 'internet-gateway')).InternetGateway
      .InternetGatewayId;
    ok('attach-internet-gateway', '--internet-gateway-id', igwId, '--vpc-id', vpcId);
    const rtbId = ok('create-route-table', '--vpc-id', vpcId).RouteTable.RouteTableId;
    ok('create-route', '--route-table-id', rtbId, '--destination-cidr-block', '0.0.0.0/0', '--gateway-id', igwId);
    const rtbAssoc = ok('associate-route-table', '--route-table-id', rtbId, '--subnet-id', subnetId);
    assert.match(rtbAssoc.AssociationId, /^rtbassoc-/);
    assert.equal(rtbAssoc.AssociationState.State, 'associated');

    const aclId = ok('create-network-acl', '--vpc-id', vpcId).NetworkAcl.NetworkAclId;
    ok(
      'create-network-acl-entry',
      '--network-acl-id',
      aclId,
      '--rule-number',
      '10',
      '--protocol',
      '6',
      '--rule-action',
      'allow',
      '--ingress',
      '--cidr-block',
      '0.0.0.0/0',
      '--port-range',
      'From=22,To=22',
    );
    ok(
      'create-network-acl-entry',
      '--network-acl-id',
      aclId,
      '--rule-number',
      '30',
      '--protocol',
      '1',
      '--rule-action',
      'allow',
      '--ingress',
      '--cidr-block',
      '0.0.0.0/0',
      '--icmp-type-code',
      'Code=-1,Type=-1',
    );
    ok(
      'create-network-acl-entry',
      '--network-acl-id',
      aclId,
      '--rule-number',
      '10',
      '--protocol',
      '-1',
      '--rule-action',
      'allow',
      '--egress',
      '--cidr-block',
      '0.0.0.0/0',
      '--port-range',
      'From=0,To=65535',
    );
    // What CloudFormation's SubnetNetworkAclAssociation does: find the subnet's current association, move it.
    const current = ok('describe-network-acls', '--filters', `Name=association.subnet-id,Values=${subnetId}`).NetworkAcls[0];
    const oldAssoc = current.Associations.find((a: any) => a.SubnetId === subnetId).NetworkAclAssociationId;
    const newAssoc = ok('replace-network-acl-association', '--association-id', oldAssoc, '--network-acl-id', aclId).NewAssociationId;
    assert.match(newAssoc, /^aclassoc-/);

    const sgId = ok(
      'create-security-group',
      '--group-name',
      'jenkins',
      '--description',
      'SecurityGroupforjenkins',
      '--vpc-id',
      vpcId,
    ).GroupId;
    ok('authorize-security-group-ingress', '--group-id', sgId, '--protocol', 'tcp', '--port', '22', '--cidr', '0.0.0.0/0');
    ok(
      'authorize-security-group-ingress',
      '--group-id',
      sgId,
      '--ip-permissions',
      'IpProtocol=tcp,FromPort=8080,ToPort=8080,IpRanges=[{CidrIp=0.0.0.0/0}]',
      'IpProtocol=icmp,FromPort=-1,ToPort=-1,IpRanges=[{CidrIp=0.0.0.0/0}]',
    );

    // Described back.
    const vpc = ok('describe-vpcs', '--filters', 'Name=tag:Name,Values=jenkins-recovery').Vpcs;
    assert.deepEqual(
      vpc.map((v: any) => v.VpcId),
      [vpcId],
    );
    const igw = ok('describe-internet-gateways', '--internet-gateway-ids', igwId).InternetGateways[0];
    assert.deepEqual(igw.Attachments, [{ State: 'available', VpcId: vpcId }]);
    assert.deepEqual(igw.Tags, [{ Key: 'Name', Value: 'jenkins-recovery' }]);

    const rtb = ok('describe-route-tables', '--route-table-ids', rtbId).RouteTables[0];
    assert.deepEqual(
      rtb.Routes.map((r: any) => [r.DestinationCidrBlock, r.GatewayId, r.State, r.Origin]),
      [
        ['10.0.0.0/16', 'local', 'active', 'CreateRouteTable'],
        ['0.0.0.0/0', igwId, 'active', 'CreateRoute'],
      ],
    );
    assert.deepEqual(
      rtb.Associations.map((a: any) => [a.SubnetId, a.Main]),
      [[subnetId, false]],
    );

    const acl = ok('describe-network-acls', '--network-acl-ids', aclId).NetworkAcls[0];
    assert.equal(acl.IsDefault, false);
    assert.deepEqual(
      acl.Associations.map((a: any) => [a.SubnetId, a.NetworkAclAssociationId]),
      [[subnetId, newAssoc]],
    );
    assert.deepEqual(
      acl.Entries.map((e: any) => [e.Egress, e.RuleNumber, e.Protocol, e.RuleAction, e.PortRange, e.IcmpTypeCode]),
      [
        [true, 10, '-1', 'allow', undefined, undefined],
        [true, 32767, '-1', 'deny', undefined, undefined],
        [false, 10, '6', 'allow', { From: 22, To: 22 }, undefined],
        [false, 30, '1', 'allow', undefined, { Code: -1, Type: -1 }],
        [false, 32767, '-1', 'deny', undefined, undefined],
      ],
    );
    const defaultAcl = ok('describe-network-acls', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=default,Values=true').NetworkAcls[0];
    assert.deepEqual(defaultAcl.Associations, []);

    const sg = ok('describe-security-groups', '--group-ids', sgId).SecurityGroups[0];
    assert.deepEqual(
      sg.IpPermissions.map((p: any) => [p.IpProtocol, p.FromPort, p.ToPort, p.IpRanges.map((r: any) => r.CidrIp)]),
      [
        ['tcp', 22, 22, ['0.0.0.0/0']],
        ['tcp', 8080, 8080, ['0.0.0.0/0']],
        ['icmp', -1, -1, ['0.0.0.0/0']],
      ],
    );
    const byName = ok(
      'describe-security-groups',
      '--filters',
      'Name=group-name,Values=jenkins',
      `Name=vpc-id,Values=${vpcId}`,
    ).SecurityGroups;
    assert.deepEqual(
      byName.map((g: any) => g.GroupId),
      [sgId],
    );
  });

  it('route tables: routes need an attached gateway, the local route stays, associations move and conflict as AWS', async () => {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.5.0.0/16' }))).Vpc?.VpcId;
    const otherVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.6.0.0/16' }))).Vpc?.VpcId;
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.5.1.0/24' }))).Subnet?.SubnetId;
    const igwId = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId;
    const rtbId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable?.RouteTableId;
    const other = (await ec2.send(new CreateRouteTableCommand({ VpcId: otherVpc }))).RouteTable?.RouteTableId;

    assert.equal(
      await errorName(ec2.send(new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }))),
      'InvalidParameterValue',
    );
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
    assert.equal(
      await errorName(ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: otherVpc }))),
      'Resource.AlreadyAssociated',
    );
    const secondIgw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId;
    assert.equal(
      await errorName(ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: secondIgw, VpcId: vpcId }))),
      'InvalidParameterValue',
    );
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }));
    assert.equal(
      await errorName(ec2.send(new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }))),
      'RouteAlreadyExists',
    );
    assert.equal(
      await errorName(
        ec2.send(new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-00000000000000000' })),
      ),
      'RouteAlreadyExists',
    );
    assert.equal(
      await errorName(
        ec2.send(
          new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '192.168.0.0/16', GatewayId: 'igw-00000000000000000' }),
        ),
      ),
      'InvalidInternetGatewayID.NotFound',
    );
    assert.equal(
      await errorName(ec2.send(new DeleteRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '10.5.0.0/16' }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorName(ec2.send(new ReplaceRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '192.168.0.0/16', GatewayId: igwId }))),
      'InvalidRoute.NotFound',
    );
    await ec2.send(new ReplaceRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }));

    const assoc = (await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtbId, SubnetId: subnetId }))).AssociationId;
    assert.equal(
      await errorName(ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtbId, SubnetId: subnetId }))),
      'Resource.AlreadyAssociated',
    );
    assert.equal(
      await errorName(ec2.send(new AssociateRouteTableCommand({ RouteTableId: other, SubnetId: subnetId }))),
      'InvalidParameterValue',
    );
    assert.equal(await errorName(ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtbId }))), 'DependencyViolation');

    // The gateway cannot go while attached; detached, its route turns blackhole.
    assert.equal(await errorName(ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId }))), 'DependencyViolation');
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
    assert.equal(
      await errorName(ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }))),
      'Gateway.NotAttached',
    );
    const [table] = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtbId ?? ''] }))).RouteTables ?? [];
    assert.equal(table.Routes?.find((r) => r.GatewayId === igwId)?.State, 'blackhole');
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId }));

    // The main association moves to another table of the VPC with ReplaceRouteTableAssociation.
    const main =
      (
        await ec2.send(
          new DescribeRouteTablesCommand({
            Filters: [
              { Name: 'vpc-id', Values: [vpcId ?? ''] },
              { Name: 'association.main', Values: ['true'] },
            ],
          }),
        )
      ).RouteTables ?? [];
    assert.equal(main.length, 1);
    const mainAssoc = main[0].Associations?.find((a) => a.Main)?.RouteTableAssociationId;
    assert.equal(await errorName(ec2.send(new DisassociateRouteTableCommand({ AssociationId: mainAssoc }))), 'InvalidParameterValue');
    const moved = await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: mainAssoc, RouteTableId: rtbId }));
    assert.match(moved.NewAssociationId ?? '', /^rtbassoc-/);
    const nowMain =
      (
        await ec2.send(
          new DescribeRouteTablesCommand({
            Filters: [
              { Name: 'vpc-id', Values: [vpcId ?? ''] },
              { Name: 'association.main', Values: ['true'] },
            ],
          }),
        )
      ).RouteTables ?? [];
    assert.deepEqual(
      nowMain.map((t) => t.RouteTableId),
      [rtbId],
    );

    await ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc }));
    assert.equal(await errorName(ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc }))), 'InvalidAssociationID.NotFound');
    // Still the main table: it cannot be deleted; the old main one now can.
    assert.equal(await errorName(ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtbId }))), 'DependencyViolation');
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: main[0].RouteTableId }));
  });

  it('network ACL entries: duplicates, missing entries, the final deny and the default ACL are guarded', async () => {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }))).Vpc?.VpcId;
    const { NetworkAcl } = await ec2.send(new (await import('@aws-sdk/client-ec2')).CreateNetworkAclCommand({ VpcId: vpcId }));
    const aclId = NetworkAcl?.NetworkAclId;
    const entry = {
      NetworkAclId: aclId,
      RuleNumber: 100,
      Protocol: 'tcp',
      RuleAction: 'allow' as const,
      Egress: false,
      CidrBlock: '0.0.0.0/0',
      PortRange: { From: 80, To: 80 },
    };
    await ec2.send(new CreateNetworkAclEntryCommand(entry));
    assert.equal(await errorName(ec2.send(new CreateNetworkAclEntryCommand(entry))), 'NetworkAclEntryAlreadyExists');
    await ec2.send(new CreateNetworkAclEntryCommand({ ...entry, Egress: true }));
    assert.equal(
      await errorName(ec2.send(new CreateNetworkAclEntryCommand({ ...entry, RuleNumber: 101, PortRange: undefined }))),
      'MissingParameter',
    );
    assert.equal(await errorName(ec2.send(new CreateNetworkAclEntryCommand({ ...entry, RuleNumber: 32767 }))), 'InvalidParameterValue');
    await ec2.send(new ReplaceNetworkAclEntryCommand({ ...entry, RuleAction: 'deny' }));
    assert.equal(
      await errorName(ec2.send(new ReplaceNetworkAclEntryCommand({ ...entry, RuleNumber: 200 }))),
      'InvalidNetworkAclEntry.NotFound',
    );
    assert.equal(
      await errorName(ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 32767, Egress: false }))),
      'InvalidParameterValue',
    );
    await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 100, Egress: false }));
    assert.equal(
      await errorName(ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: 100, Egress: false }))),
      'InvalidNetworkAclEntry.NotFound',
    );
    const acls = ok('describe-network-acls', '--network-acl-ids', aclId ?? '').NetworkAcls;
    assert.deepEqual(
      acls[0].Entries.map((e: any) => [e.Egress, e.RuleNumber, e.Protocol, e.PortRange]),
      [
        [true, 100, '6', { From: 80, To: 80 }],
        [true, 32767, '-1', undefined],
        [false, 32767, '-1', undefined],
      ],
    );
    const defaultAcl = ok('describe-network-acls', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=default,Values=true').NetworkAcls[0]
      .NetworkAclId;
    assert.equal(await errorName(ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: defaultAcl }))), 'InvalidParameterValue');
    await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: aclId }));
  });
});
