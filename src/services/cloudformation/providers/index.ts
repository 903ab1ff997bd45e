/** The providers that come with the CloudFormation engine; importing this module registers them. */
import './ec2-keypair.js';
import './ec2-vpc.js';
import './ec2-routing.js';
import './ec2-network-acl.js';
import './ec2-security-group.js';
import './ec2-eip.js';
import './iam.js';
import './ssm.js';
import '../../autoscaling/cfn/index.js';
