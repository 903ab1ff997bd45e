import { Fn, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** Props of {@link PublicNetwork}. */
export interface PublicNetworkProps {
  /** Tag `Name` of every network resource, as the seed tags them. */
  readonly name: string;
  /**
   * How many availability zones get a subnet (the first N of `Fn::GetAZs`). The deployment fails in a region with
   * fewer zones, never silently uses fewer.
   * @default 2 (the seed's SubnetA and SubnetB)
   */
  readonly zones?: number;
  /**
   * The port the CI server listens on.
   * @default 8080
   */
  readonly port?: number;
  /**
   * Who may reach the CI server's port: a CIDR (the seed opens 0.0.0.0/0 to SSH and Jenkins).
   * @default 0.0.0.0/0 only when `faithful`; otherwise required
   */
  readonly allowedCidr?: string;
  /**
   * The seed's network exactly: SSH (22), the CI port and ICMP open to 0.0.0.0/0 in the security group and the
   * network ACL.
   * @default false
   */
  readonly faithful?: boolean;
}

/**
 * The seed's network: a VPC 10.0.0.0/16, one public /24 per zone (10.0.N.0/24) behind an internet gateway, one
 * network ACL and the server's security group. Written in L1 resources so the template holds exactly these
 * resources (ec2.Vpc would add per-subnet route tables, NAT choices and, unless a flag stops it, a Lambda-backed
 * custom resource).
 */
export class PublicNetwork extends Construct {
  readonly vpc: ec2.CfnVPC;
  readonly subnets: ec2.CfnSubnet[];
  readonly securityGroup: ec2.CfnSecurityGroup;
  /** The attachment of the internet gateway: resources that need the Internet at creation depend on it. */
  readonly gatewayAttachment: ec2.CfnVPCGatewayAttachment;
  readonly cidr = '10.0.0.0/16';

  constructor(scope: Construct, id: string, props: PublicNetworkProps) {
    super(scope, id);
    const zones = props.zones ?? 2;
    const port = props.port ?? 8080;
    const faithful = props.faithful ?? false;
    const allowed = props.allowedCidr ?? (faithful ? '0.0.0.0/0' : undefined);
    if (!allowed) throw new Error('PublicNetwork: allowedCidr is required unless faithful (the seed opened 0.0.0.0/0)');
    if (zones < 1 || zones > 6) throw new Error(`PublicNetwork: zones must be 1 to 6 (got ${zones})`);

    this.vpc = new ec2.CfnVPC(this, 'VPC', { cidrBlock: this.cidr, enableDnsSupport: true, enableDnsHostnames: true });
    const igw = new ec2.CfnInternetGateway(this, 'InternetGateway');
    this.gatewayAttachment = new ec2.CfnVPCGatewayAttachment(this, 'GatewayToInternet', {
      vpcId: this.vpc.ref,
      internetGatewayId: igw.ref,
    });
    const routeTable = new ec2.CfnRouteTable(this, 'RouteTable', { vpcId: this.vpc.ref });
    const route = new ec2.CfnRoute(this, 'InternetRoute', {
      routeTableId: routeTable.ref,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.ref,
    });
    route.addResourceDependency(this.gatewayAttachment);

    const acl = new ec2.CfnNetworkAcl(this, 'NetworkAcl', { vpcId: this.vpc.ref });
    const entry = (rid: string, rule: number, protocol: number, cidr: string, from?: number, to?: number, egress = false) =>
      new ec2.CfnNetworkAclEntry(this, rid, {
        networkAclId: acl.ref,
        ruleNumber: rule,
        protocol,
        ruleAction: 'allow',
        egress,
        cidrBlock: cidr,
        ...(from !== undefined ? { portRange: { from, to: to ?? from } } : {}),
        ...(protocol === 1 ? { icmp: { code: -1, type: -1 } } : {}),
      });
    if (faithful) entry('NetworkAceSSH', 10, 6, '0.0.0.0/0', 22);
    entry('NetworkAceHTTP', 11, 6, allowed, port);
    // NFS inside the VPC: EFS mount targets answer on 2049 (used by the Resilient architecture only; harmless elsewhere).
    entry('NetworkAceNFS', 12, 6, this.cidr, 2049);
    if (faithful) {
      entry('NetworkAceNTP', 20, 17, '0.0.0.0/0', 123);
      entry('NetworkAceICMP', 30, 1, '0.0.0.0/0');
    }
    // Replies to the server's own outbound connections (package repositories, AWS APIs): a network ACL is stateless.
    entry('NetworkAceHighPortsTCP', 40, 6, '0.0.0.0/0', 1024, 65535);
    entry('NetworkAceHighPortsUDP', 41, 17, '0.0.0.0/0', 1024, 65535);
    entry('NetworkAceEgress', 10, -1, '0.0.0.0/0', 0, 65535, true);

    this.subnets = [];
    for (let i = 0; i < zones; i++) {
      const letter = String.fromCharCode(65 + i);
      const subnet = new ec2.CfnSubnet(this, `Subnet${letter}`, {
        vpcId: this.vpc.ref,
        availabilityZone: Fn.select(i, Fn.getAzs()),
        cidrBlock: `10.0.${i}.0/24`,
      });
      new ec2.CfnSubnetRouteTableAssociation(this, `RouteTableAssociation${letter}`, {
        subnetId: subnet.ref,
        routeTableId: routeTable.ref,
      });
      new ec2.CfnSubnetNetworkAclAssociation(this, `NetworkAclAssociation${letter}`, { subnetId: subnet.ref, networkAclId: acl.ref });
      this.subnets.push(subnet);
    }

    const ingress: ec2.CfnSecurityGroup.IngressProperty[] = faithful
      ? [
          { ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0' },
          { ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIp: '0.0.0.0/0' },
          { ipProtocol: 'icmp', fromPort: -1, toPort: -1, cidrIp: '0.0.0.0/0' },
        ]
      : [{ ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIp: allowed, description: 'the CI server, from the allowed network only' }];
    this.securityGroup = new ec2.CfnSecurityGroup(this, 'SecurityGroup', {
      groupDescription: 'the CI server',
      vpcId: this.vpc.ref,
      securityGroupIngress: ingress,
      securityGroupEgress: [{ ipProtocol: '-1', cidrIp: '0.0.0.0/0', description: 'package repositories and AWS APIs' }],
    });
    Tags.of(this).add('Name', props.name);
  }
}
