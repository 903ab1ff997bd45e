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
       cfn-signal [options] WAIT_CONDITION_HANDLE_URL
  -s, --success TRUE|FALSE   signal success (default) or failure
  -e, --exit-code N          a non-zero N signals failure
  -i, --id ID                the signal's UniqueId (default: this instance's id)
  -r, --reason TEXT          reason (wait condition handles only)
  -d, --data TEXT            data (wait condition handles only)
      --stack NAME|ID        the stack
      --resource LOGICAL_ID  the resource to signal
      --region REGION        the stack's region (default: this instance's region)
      --url URL              the CloudFormation endpoint
      --role ROLE            use this instance profile role's credentials
      --access-key KEY --secret-key SECRET
                             use these credentials
USAGE
}
success=true; code=; id=; stack=; resource=; region=; url=; role=; handle=; reason=; data=
while [ $# -gt 0 ]; do
  case "$1" in
    -s|--success) success=$2; shift 2 ;;
    --success=*) success=\${1#*=}; shift ;;
    -e|--exit-code) code=$2; shift 2 ;;
    --exit-code=*) code=\${1#*=}; shift ;;
    -i|--id) id=$2; shift 2 ;;
    --id=*) id=\${1#*=}; shift ;;
    -r|--reason) reason=$2; shift 2 ;;
    --reason=*) reason=\${1#*=}; shift ;;
    -d|--data) data=$2; shift 2 ;;
    --data=*) data=\${1#*=}; shift ;;
    --http-proxy|--https-proxy) shift 2 ;;
    --http-proxy=*|--https-proxy=*) shift ;;
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
if [ -z "$handle" ] && { [ -z "$stack" ] || [ -z "$resource" ]; }; then
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
if [ -n "$handle" ]; then
  # A wait condition handle: its presigned URL takes the signal as a JSON document PUT with no content type.
  body=$(python3 -c 'import json, sys; print(json.dumps(dict(zip(["Status", "Reason", "UniqueId", "Data"], sys.argv[1:]))))' \
    "$status" "$reason" "$id" "$data")
  resp=$(mktemp)
  http=$(printf '%s' "$body" | curl -s -m 30 -o "$resp" -w '%{http_code}' -X PUT -H 'Content-Type:' --data-binary @- "$handle")
  answer=$(cat "$resp"); rm -f "$resp"
  [ "$http" = 200 ] && exit 0
  echo "cfn-signal: the wait condition handle answered HTTP $http: $answer" >&2
  exit 1
fi
if [ -n "$role" ]; then
  creds=$(imds "meta-data/iam/security-credentials/$role") || { echo "cfn-signal: the instance has no credentials for role $role" >&2; exit 1; }
  val() { printf '%s' "$creds" | tr -d '\\n' | sed -n "s/.*\\"$1\\" *: *\\"\\([^\\"]*\\)\\".*/\\1/p"; }
  export AWS_ACCESS_KEY_ID="$(val AccessKeyId)" AWS_SECRET_ACCESS_KEY="$(val SecretAccessKey)" AWS_SESSION_TOKEN="$(val Token)"
fi
if [ -z "$url" ] && [ -z "$AWS_ACCESS_KEY_ID" ] && [ -z "$AWS_PROFILE" ] && [ ! -e "$HOME/.aws/credentials" ] && [ -z "$(imds meta-data/iam/security-credentials/)" ]; then
  # No credentials (no instance profile): the instance signals as itself through its metadata address, as AWS's
  # helper needs no credentials either. CloudFormation accepts it from the stack's own instances only.
  resp=$(mktemp)
  http=$(curl -s -m 30 -o "$resp" -w '%{http_code}' -X POST --data-urlencode "stack=$stack" --data-urlencode "resource=$resource" \
    --data-urlencode "id=$id" --data-urlencode "status=$status" --data-urlencode "region=$region" http://169.254.169.254/halo/cfn-signal)
  body=$(cat "$resp"); rm -f "$resp"
  [ "$http" = 200 ] && exit 0
  echo "cfn-signal: \${body:-the metadata service did not answer (HTTP $http)}" >&2
  exit 1
fi
set -- cloudformation signal-resource --stack-name "$stack" --logical-resource-id "$resource" --unique-id "$id" --status "$status" --output text
[ -n "$region" ] && set -- "$@" --region "$region"
[ -n "$url" ] && set -- "$@" --endpoint-url "$url"
if [ -x /usr/local/bin/aws ]; then exec /usr/local/bin/aws "$@"; fi
exec aws "$@"
`;

/** /opt/aws/bin/cfn-signal (Amazon Linux's path, which templates call): [link, target], made at every boot (stage1.ts). */
export const CFN_HELPER_LINKS: Array<[string, string]> = [['/opt/aws/bin/cfn-signal', '/run/halo/bin/cfn-signal']];
