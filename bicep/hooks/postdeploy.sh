#!/bin/sh
# azd postdeploy hook (azure.yaml). The Event Grid subscription to the rotation function and the
# budget action group webhook (it embeds a function key) can only be created once the functions
# are deployed. The first `azd up` provisions without them, deploys the code, and this hook then
# sets AKSOPS_CONNECT_APP_ENDPOINTS=true and provisions again (idempotent; only those two are added).
set -eu
current="$(azd env get-value AKSOPS_CONNECT_APP_ENDPOINTS 2>/dev/null || echo false)"
if [ "$current" = "true" ]; then
  echo "postdeploy: app endpoints already connected"
  exit 0
fi
echo "postdeploy: connecting Event Grid and the budget webhook to the deployed functions"
azd env set AKSOPS_CONNECT_APP_ENDPOINTS true
azd provision --no-prompt
