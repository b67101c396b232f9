#!/usr/bin/env bash
# rule_matches_total's rule_file label is the rule file's path relative to the
# config's directory, whichever of the config path and the rule path is
# absolute or relative: never empty, the same however the config is named.
# Usage: test/integration/rule_file_labels_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: rule_file labels: $*"; exit 1; }

mkdir -p "$tmp/conf" "$tmp/elsewhere/rules/library/nginx"
cp -r "$root/rules/schema" "$tmp/elsewhere/rules/schema"
cp "$root/rules/library/nginx/combined_request_time.yaml" "$tmp/elsewhere/rules/library/nginx/"
mkdir -p "$tmp/conf/rules/library/nginx"
cp -r "$root/rules/schema" "$tmp/conf/rules/schema"
cp "$root/rules/library/nginx/combined_request_time.yaml" "$tmp/conf/rules/library/nginx/"
: >"$tmp/conf/access.log"
cat >"$tmp/conf/adapter.yaml" <<YAML
sources:
  - name: absolute_rules
    type: file
    paths: [access.log]
    rules: [$tmp/elsewhere/rules/library/nginx/combined_request_time.yaml]
    labels: {service: absolute}
  - name: relative_rules
    type: file
    paths: [access.log]
    rules: [rules/library/nginx/combined_request_time.yaml]
    labels: {service: relative}
YAML

labels() {  # labels DIR CONFIG: the source and rule_file of every rule_matches_total series
  (cd "$1" && "$adapter" once --config.file="$2" 2>/dev/null) |
    grep '^metrics_adapter_rule_matches_total{' |
    sed -E 's/.*rule_file="([^"]*)".*source="([^"]*)".*/\2 \1/' | sort -u
}
want="absolute_rules ../elsewhere/rules/library/nginx/combined_request_time.yaml
relative_rules rules/library/nginx/combined_request_time.yaml"
for form in "$tmp conf/adapter.yaml" "$tmp/conf adapter.yaml" "/ $tmp/conf/adapter.yaml" \
  "$tmp/elsewhere ../conf/adapter.yaml"; do
  read -r dir config <<<"$form"
  got=$(labels "$dir" "$config")
  [ "$got" = "$want" ] || fail "config $config from $dir: got
$got
want
$want"
done
echo "PASS: rule_file labels are relative to the config's directory in every form"
