#!/bin/sh
# azd prepackage hook (azure.yaml). The operations config ships inside the package as ops.yaml at
# the project root (OPS_CONFIG_PATH's default; docs/decisions/0016-ops-config-in-package.md).
# Refuse to package without it, or with a config the app would reject at its first timer/alert.
set -eu
if [ ! -f ops.yaml ]; then
  echo "prepackage: ops.yaml is missing at the project root. Fix: cp examples/ops.yaml ops.yaml, edit it for your clusters, then azd deploy again." >&2
  exit 1
fi
npm run build --silent
node bin/aksops.js config validate --config ops.yaml
