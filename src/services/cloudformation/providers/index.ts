/** The providers that come with the CloudFormation engine; importing this module registers them. */
import './ec2-keypair.js';
