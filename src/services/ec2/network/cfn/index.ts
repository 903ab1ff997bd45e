/** The CloudFormation providers of EC2's network resources; importing this module registers them. */
import './vpc.js';
import './routing.js';
import './network-acl.js';
import './security-group.js';
import './eip.js';
