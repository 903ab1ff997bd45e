/** The Auto Scaling resource providers of CloudFormation; importing this module registers them. */
import './LaunchConfiguration.js';
import './AutoScalingGroup.js';
