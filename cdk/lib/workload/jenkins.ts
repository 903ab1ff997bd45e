import type { Workload } from './workload.js';

/**
 * The SSM public parameter of Debian 13's current AMI (Debian publishes one per release and architecture). Debian
 * 13 because current Jenkins LTS needs Java 21, which Debian 12 does not package.
 */
export const DEBIAN_AMI_PARAMETER = '/aws/service/debian/release/13/latest/amd64';
/** Jenkins' stable (LTS) Debian repository and the key that signs it. */
export const JENKINS_APT_REPOSITORY = 'https://pkg.jenkins.io/debian-stable binary/';
export const JENKINS_KEY_URL = 'https://pkg.jenkins.io/debian-stable/jenkins.io-2026.key';

/** Jenkins LTS on Debian, from Jenkins' signed apt repository, with Java 21 (what current LTS releases require). */
export function jenkins(): Workload {
  return {
    name: 'jenkins',
    port: 8080,
    healthPath: '/login',
    image: {
      type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      default: DEBIAN_AMI_PARAMETER,
      description: 'the Debian AMI (an SSM parameter name or, for the parameter type of the snapshot flow, an AMI id)',
    },
    prepare: 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q awscli nfs-common curl',
    setup: (stateDir, passwordFile) => `
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q openjdk-21-jre-headless fontconfig curl
install -d -m 0755 /etc/apt/keyrings
curl -fsSL ${JENKINS_KEY_URL} -o /etc/apt/keyrings/jenkins-keyring.asc
echo "deb [signed-by=/etc/apt/keyrings/jenkins-keyring.asc] ${JENKINS_APT_REPOSITORY}" > /etc/apt/sources.list.d/jenkins.list
apt-get update -q
apt-get install -y -q jenkins
systemctl stop jenkins
install -d -o jenkins -g jenkins -m 0750 ${stateDir}/jenkins ${stateDir}/jenkins/init.groovy.d
install -d /etc/systemd/system/jenkins.service.d
cat > /etc/systemd/system/jenkins.service.d/halo.conf <<'UNIT'
[Service]
Environment="JENKINS_HOME=${stateDir}/jenkins"
Environment="JENKINS_PORT=8080"
Environment="JAVA_OPTS=-Djava.awt.headless=true -Djenkins.install.runSetupWizard=false"
UNIT
install -o jenkins -g jenkins -m 0400 ${passwordFile} ${stateDir}/jenkins/.admin-password
cat > ${stateDir}/jenkins/init.groovy.d/admin.groovy <<'GROOVY'
import jenkins.model.Jenkins
import hudson.security.HudsonPrivateSecurityRealm
import hudson.security.FullControlOnceLoggedInAuthorizationStrategy
def j = Jenkins.get()
def password = new File(j.rootDir, '.admin-password').text.trim()
def realm = new HudsonPrivateSecurityRealm(false)
if (realm.getUser('admin') == null) realm.createAccount('admin', password)
j.setSecurityRealm(realm)
def strategy = new FullControlOnceLoggedInAuthorizationStrategy()
strategy.setAllowAnonymousRead(false)
j.setAuthorizationStrategy(strategy)
j.save()
GROOVY
chown jenkins:jenkins ${stateDir}/jenkins/init.groovy.d/admin.groovy
systemctl daemon-reload
systemctl enable --now jenkins
`,
  };
}
