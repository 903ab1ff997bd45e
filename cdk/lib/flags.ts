/**
 * Feature flags and app settings that keep every synthesized template free of AWS-only machinery (Lambda-backed
 * custom resources, bootstrap assets, CDK metadata): set in code so `cdk synth`, the tests and `halo deploy` (which
 * synthesizes in-process) all agree, whatever cdk.json says.
 */
export const APP_CONTEXT: Record<string, unknown> = {
  // ec2.Vpc would otherwise add a Lambda-backed custom resource that strips the default security group's rules.
  '@aws-cdk/aws-ec2:restrictDefaultSecurityGroup': false,
  // IAM policies rendered minimized and deterministic (stable snapshots).
  '@aws-cdk/aws-iam:minimizePolicies': true,
  // Launch templates get a name from the stack so two stacks never collide.
  '@aws-cdk/aws-ec2:launchTemplateDefaultUserData': true,
  // No AWS::CDK::Metadata resource (the local cloud has no such type; it carries nothing the system needs).
  'aws:cdk:version-reporting': false,
};
