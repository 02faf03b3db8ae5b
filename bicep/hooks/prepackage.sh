#!/bin/sh
# azd prepackage hook (azure.yaml). The operations config ships inside the package as ops.yaml at
# the project root (OPS_CONFIG_PATH's default; docs/decisions/0016-ops-config-in-package.md).
# Refuse to package without it, or with a config the app would reject at its first timer/alert.
# Then set host.json for the Durable backend (docs/scaling-out.md).
set -eu
if [ ! -f ops.yaml ]; then
  echo "prepackage: ops.yaml is missing at the project root. Fix: cp examples/ops.yaml ops.yaml, edit it for your clusters, then azd deploy again." >&2
  exit 1
fi
npm run build --silent
node bin/aksops.js config validate --config ops.yaml
# host.json for the Durable backend provisioned from the same variable (bicep/main.bicepparam):
# AKSOPS_DURABLE_BACKEND=DurableTaskScheduler adds the azureManaged storage provider and its bundle.
node scripts/host-json.mjs host.json
