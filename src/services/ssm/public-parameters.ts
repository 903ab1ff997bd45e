import type { RequestContext } from '../types.js';

/**
 * AWS's public parameters for the latest AMIs. On this cloud every one of them names the cloud's default image
 * (asked of EC2 through its own DescribeImages, as owner `amazon`), so templates that take
 * `AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>` from these paths boot.
 */
const AMAZON_LINUX = '/aws/service/ami-amazon-linux-latest';
const archs = ['x86_64', 'arm64'];
const PUBLIC_AMI_PARAMETERS = [
  // Amazon Linux 2023: standard and minimal images, the default kernel and each kernel line, per architecture.
  ...['al2023-ami', 'al2023-ami-minimal'].flatMap((image) =>
    ['kernel-default', 'kernel-6.1', 'kernel-6.12'].flatMap((kernel) => archs.map((arch) => `${AMAZON_LINUX}/${image}-${kernel}-${arch}`)),
  ),
  // Amazon Linux 2: the hvm images with gp2 or ebs roots, the 5.10 kernel line and the minimal images.
  ...archs.flatMap((arch) => [
    `${AMAZON_LINUX}/amzn2-ami-hvm-${arch}-gp2`,
    `${AMAZON_LINUX}/amzn2-ami-hvm-${arch}-ebs`,
    `${AMAZON_LINUX}/amzn2-ami-kernel-5.10-hvm-${arch}-gp2`,
    `${AMAZON_LINUX}/amzn2-ami-kernel-5.10-hvm-${arch}-ebs`,
    `${AMAZON_LINUX}/amzn2-ami-minimal-hvm-${arch}-ebs`,
  ]),
  // Debian 12 (bookworm), by number and by code name, per architecture.
  ...['12', 'bookworm'].flatMap((release) => ['amd64', 'arm64'].map((arch) => `/aws/service/debian/release/${release}/latest/${arch}`)),
];

export const isPublicName = (name: string) => /^\/aws\//i.test(name);

export interface PublicParameter {
  Name: string;
  Type: 'String';
  Value: string;
  Version: number;
  LastModifiedDate: string;
  ARN: string;
  DataType: string;
}

async function defaultImage(ctx: RequestContext): Promise<{ ImageId: string; CreationDate?: string } | undefined> {
  if (!ctx.cloud.services.get('ec2')?.operations.DescribeImages) return undefined;
  const out = await ctx.cloud.invoke<{ Images?: Array<{ ImageId: string; CreationDate?: string }> }>(
    'ec2',
    'DescribeImages',
    { Owners: ['amazon'] },
    { region: ctx.region },
  );
  return out.Images?.[0];
}

/** The public parameters under `path` (all of them when no path is given), with their current values. */
export async function publicParameters(ctx: RequestContext, names = PUBLIC_AMI_PARAMETERS): Promise<PublicParameter[]> {
  const wanted = names.filter((n) => PUBLIC_AMI_PARAMETERS.includes(n));
  if (!wanted.length) return [];
  const image = await defaultImage(ctx);
  if (!image) return [];
  return wanted.map((name) => ({
    Name: name,
    Type: 'String',
    Value: image.ImageId,
    Version: 1,
    LastModifiedDate: image.CreationDate ?? new Date(0).toISOString(),
    ARN: `arn:aws:ssm:${ctx.region}::parameter${name}`,
    DataType: 'aws:ec2:image',
  }));
}

export const publicNames = () => [...PUBLIC_AMI_PARAMETERS];
