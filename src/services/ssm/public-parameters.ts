import type { RequestContext } from '../types.js';

/**
 * AWS's public parameters for the latest AMIs. On this cloud every one of them names the cloud's default image
 * (asked of EC2 through its own DescribeImages, as owner `amazon`), so templates that take
 * `AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>` from these paths boot.
 */
const PUBLIC_AMI_PARAMETERS = [
  '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2',
  '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-ebs',
  '/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2',
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  '/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-x86_64',
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64',
  '/aws/service/debian/release/bookworm/latest/amd64',
  '/aws/service/debian/release/12/latest/amd64',
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
  const out = await ctx.cloud.invoke<{ Images?: Array<{ ImageId: string; CreationDate?: string }> }>('ec2', 'DescribeImages', { Owners: ['amazon'] }, { region: ctx.region });
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
