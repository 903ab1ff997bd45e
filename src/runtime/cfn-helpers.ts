import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * AWS's CloudFormation helper `cfn-signal`, as every instance has it (in /run/halo/bin, first in PATH, and at
 * /opt/aws/bin/cfn-signal where Amazon Linux keeps it). It signals a resource through the instance's aws CLI
 * (SignalResource), with the instance's own credentials: CloudFormation lets a stack's instances signal it.
 */
export const CFN_SIGNAL = `#!/bin/sh
# halo: cfn-signal (the options of AWS's cfn-bootstrap helper). Sends SignalResource through the aws CLI.
usage() {
  cat >&2 <<'USAGE'
Usage: cfn-signal [options] --stack STACK --resource LOGICAL_ID [--region REGION]
  -s, --success TRUE|FALSE   signal success (default) or failure
  -e, --exit-code N          a non-zero N signals failure
  -i, --id ID                the signal's UniqueId (default: this instance's id)
  -r, --reason TEXT          reason (WaitCondition handles only)
  -d, --data TEXT            data (WaitCondition handles only)
      --stack NAME|ID        the stack
      --resource LOGICAL_ID  the resource to signal
      --region REGION        the stack's region (default: this instance's region)
      --url URL              the CloudFormation endpoint
      --role ROLE            use this instance profile role's credentials
      --access-key KEY --secret-key SECRET
                             use these credentials
USAGE
}
success=true; code=; id=; stack=; resource=; region=; url=; role=; handle=
while [ $# -gt 0 ]; do
  case "$1" in
    -s|--success) success=$2; shift 2 ;;
    --success=*) success=\${1#*=}; shift ;;
    -e|--exit-code) code=$2; shift 2 ;;
    --exit-code=*) code=\${1#*=}; shift ;;
    -i|--id) id=$2; shift 2 ;;
    --id=*) id=\${1#*=}; shift ;;
    -r|--reason|-d|--data|--http-proxy|--https-proxy) shift 2 ;;
    --reason=*|--data=*|--http-proxy=*|--https-proxy=*) shift ;;
    --stack) stack=$2; shift 2 ;;
    --stack=*) stack=\${1#*=}; shift ;;
    --resource) resource=$2; shift 2 ;;
    --resource=*) resource=\${1#*=}; shift ;;
    --region) region=$2; shift 2 ;;
    --region=*) region=\${1#*=}; shift ;;
    -u|--url) url=$2; shift 2 ;;
    --url=*) url=\${1#*=}; shift ;;
    --role) role=$2; shift 2 ;;
    --role=*) role=\${1#*=}; shift ;;
    --access-key) export AWS_ACCESS_KEY_ID="$2"; shift 2 ;;
    --secret-key) export AWS_SECRET_ACCESS_KEY="$2"; unset AWS_SESSION_TOKEN; shift 2 ;;
    -f|--credential-file) echo "cfn-signal: --credential-file is not supported here: use --access-key/--secret-key or the instance's role" >&2; exit 1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "cfn-signal: unknown option $1" >&2; usage; exit 1 ;;
    *) handle=$1; shift ;;
  esac
done
if [ -n "$handle" ]; then
  echo "cfn-signal: signaling a WaitConditionHandle URL ($handle) is not supported by this cloud (AWS::CloudFormation::WaitCondition is not supported); use --stack and --resource with a CreationPolicy" >&2
  exit 1
fi
if [ -z "$stack" ] || [ -z "$resource" ]; then
  echo "cfn-signal: --stack and --resource are required" >&2; usage; exit 1
fi
status=SUCCESS
case "$(echo "$success" | tr A-Z a-z)" in true) ;; false) status=FAILURE ;; *) echo "cfn-signal: --success takes true or false" >&2; exit 1 ;; esac
[ -n "$code" ] && [ "$code" != 0 ] && status=FAILURE
imds() {
  token=$(curl -s -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token 2>/dev/null)
  curl -sf -m 5 \${token:+-H "X-aws-ec2-metadata-token: $token"} "http://169.254.169.254/latest/$1"
}
[ -z "$id" ] && id=$(imds meta-data/instance-id)
if [ -z "$id" ]; then echo "cfn-signal: no --id given and the instance id is not available from the metadata service" >&2; exit 1; fi
if [ -n "$role" ]; then
  creds=$(imds "meta-data/iam/security-credentials/$role") || { echo "cfn-signal: the instance has no credentials for role $role" >&2; exit 1; }
  val() { printf '%s' "$creds" | tr -d '\\n' | sed -n "s/.*\\"$1\\" *: *\\"\\([^\\"]*\\)\\".*/\\1/p"; }
  export AWS_ACCESS_KEY_ID="$(val AccessKeyId)" AWS_SECRET_ACCESS_KEY="$(val SecretAccessKey)" AWS_SESSION_TOKEN="$(val Token)"
fi
if [ -z "$AWS_ACCESS_KEY_ID" ] && [ -z "$AWS_PROFILE" ] && [ ! -e "$HOME/.aws/credentials" ] && [ -z "$(imds meta-data/iam/security-credentials/)" ]; then
  echo "cfn-signal: this instance has no instance profile, and no credentials were given: this cloud's cfn-signal signs with the instance's role credentials (give the instance an IamInstanceProfile; its role needs no CloudFormation permission), or pass --access-key and --secret-key" >&2
  exit 1
fi
set -- cloudformation signal-resource --stack-name "$stack" --logical-resource-id "$resource" --unique-id "$id" --status "$status" --output text
[ -n "$region" ] && set -- "$@" --region "$region"
[ -n "$url" ] && set -- "$@" --endpoint-url "$url"
if [ -x /usr/local/bin/aws ]; then exec /usr/local/bin/aws "$@"; fi
exec aws "$@"
`;

/** Writes the CloudFormation helpers into an instance's boot bin directory (its /run/halo/bin). */
export function writeCfnHelpers(binDir: string): void {
  writeFileSync(path.join(binDir, 'cfn-signal'), CFN_SIGNAL, { mode: 0o755 });
}

/** The init line that makes /opt/aws/bin/cfn-signal exist (Amazon Linux's path, which templates call). */
export const CFN_HELPERS_INIT = 'mkdir -p /opt/aws/bin 2>/dev/null && ln -sf /run/halo/bin/cfn-signal /opt/aws/bin/cfn-signal 2>/dev/null';
