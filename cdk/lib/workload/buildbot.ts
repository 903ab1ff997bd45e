import type { Workload } from './workload.js';

/** The image `halo image build` makes for the local target; its AMI id is given to the stack as a parameter. */
export const LOCAL_IMAGE_NAME = 'halo-ci';
export const LOCAL_IMAGE_PACKAGES = ['buildbot', 'buildbot-worker'];

/**
 * buildbot 3.7 (Debian 12's packages, baked into the `halo-ci` image): a master with one local worker, one builder
 * (`smoke`) started by a force scheduler, the REST API at /api/v2 readable anonymously and its control endpoints
 * (forcing a build) for the `admin` user only.
 *
 * Debian packages buildbot without its JavaScript web UI (the `buildbot-www` Python package, built from npm
 * sources), and the master refuses to start its web server without a `base` www plugin. So the setup installs a
 * minimal one (a static page pointing at the REST API): the REST API itself is buildbot's own.
 */
export function buildbot(): Workload {
  return {
    name: 'buildbot',
    port: 8080,
    healthPath: '/api/v2/builders',
    image: {
      type: 'AWS::EC2::Image::Id',
      description: `the AMI of 'halo image build --name ${LOCAL_IMAGE_NAME} --packages ${LOCAL_IMAGE_PACKAGES.join(',')}'`,
    },
    prepare: '',
    setup: (stateDir, passwordFile) => `
command -v buildbot >/dev/null || { echo "this image has no buildbot: build it with halo image build --name ${LOCAL_IMAGE_NAME} --packages ${LOCAL_IMAGE_PACKAGES.join(',')}" >&2; exit 1; }
PYSITE=$(python3 -c 'import sys; print("/usr/local/lib/python%d.%d/dist-packages" % sys.version_info[:2])')
install -d $PYSITE/halo_ci_www/static $PYSITE/halo_ci_www-1.0.egg-info
echo 1.0 > $PYSITE/halo_ci_www/VERSION
cat > $PYSITE/halo_ci_www/__init__.py <<'PY'
from buildbot.www.plugin import Application
ep = Application(__name__, "halo CI: a page pointing at buildbot's REST API (Debian has no buildbot web UI)")
PY
cat > $PYSITE/halo_ci_www/static/index.html <<'HTML'
<!doctype html><title>halo CI (buildbot)</title><h1>halo CI</h1><p>buildbot's REST API: <a href="api/v2">api/v2</a></p>
HTML
printf 'Metadata-Version: 2.1\\nName: halo-ci-www\\nVersion: 1.0\\n' > $PYSITE/halo_ci_www-1.0.egg-info/PKG-INFO
printf '[buildbot.www]\\nbase = halo_ci_www:ep\\n' > $PYSITE/halo_ci_www-1.0.egg-info/entry_points.txt
MASTER=${stateDir}/buildbot/master
WORKER=/var/lib/halo-ci/worker
install -d -o buildbot -g buildbot -m 0750 ${stateDir}/buildbot $MASTER
install -o buildbot -g buildbot -m 0400 ${passwordFile} $MASTER/admin-password
[ -s $MASTER/worker-password ] || { head -c 24 /dev/urandom | base64 | tr -dc A-Za-z0-9 > $MASTER/worker-password; }
chown buildbot:buildbot $MASTER/worker-password; chmod 0400 $MASTER/worker-password
cat > $MASTER/master.cfg <<'CFG'
import os
from buildbot.plugins import schedulers, steps, util, worker
HERE = os.path.dirname(os.path.abspath(__file__))
def secret(name):
    with open(os.path.join(HERE, name)) as f:
        return f.read().strip()
c = BuildmasterConfig = {}
c['title'] = 'halo CI'
c['buildbotURL'] = 'http://localhost:8080/'
c['buildbotNetUsageData'] = None
c['workers'] = [worker.Worker('local', secret('worker-password'))]
c['protocols'] = {'pb': {'port': 'tcp:9989:interface=127.0.0.1'}}
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=['smoke'])]
c['builders'] = [util.BuilderConfig(name='smoke', workernames=['local'], factory=util.BuildFactory([
    steps.ShellCommand(name='smoke', command=['sh', '-c', 'echo built on $(hostname) at $(date -u +%FT%TZ); uname -sr']),
]))]
c['db'] = {'db_url': 'sqlite:///state.sqlite'}
c['www'] = {
    'port': 'tcp:8080',
    'plugins': {},
    'auth': util.UserPasswordAuth({'admin': secret('admin-password')}),
    'authz': util.Authz(
        allowRules=[util.AnyControlEndpointMatcher(role='admins')],
        roleMatchers=[util.RolesFromUsername(roles=['admins'], usernames=['admin'])],
    ),
}
CFG
chown buildbot:buildbot $MASTER/master.cfg
[ -f $MASTER/buildbot.tac ] || runuser -u buildbot -- buildbot create-master -r $MASTER >/dev/null
runuser -u buildbot -- buildbot upgrade-master $MASTER >/dev/null
# The master's directory may come from a server that died (shared state keeps its twistd.pid, whose number can be a
# live process here, and twistd would then refuse to start): no buildbot runs in this instance yet, so it is stale.
pgrep -u buildbot >/dev/null || rm -f $MASTER/twistd.pid
runuser -u buildbot -- buildbot start $MASTER
install -d -o buildbot -g buildbot $WORKER
[ -f $WORKER/buildbot.tac ] || runuser -u buildbot -- buildbot-worker create-worker -r $WORKER 127.0.0.1:9989 local "$(cat $MASTER/worker-password)" >/dev/null
# --quiet: start without following the worker's log for its connection (that watch can miss the line and wait forever;
# the worker reconnects by itself, and the server's own check below says when the CI answers).
runuser -u buildbot -- buildbot-worker start --quiet $WORKER
`,
  };
}
