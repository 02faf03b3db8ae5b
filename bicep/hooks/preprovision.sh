#!/bin/sh
# azd preprovision hook (azure.yaml). Two checks and one setup before Bicep runs (docs/security.md):
# 1. A production environment (AKSOPS_ENVIRONMENT_KIND=prod) must have an Alertmanager webhook
#    credential (AKSOPS_ALERTMANAGER_TOKEN_SECRET): without one the function key alone posts alerts.
# 2. Easy Auth: unless AKSOPS_EASY_AUTH=false, create (once) the Entra app registration with the
#    Approver and Operator app roles and store its client ID in AKSOPS_EASY_AUTH_CLIENT_ID, which
#    bicep/main.bicepparam passes to Bicep (Bicep cannot create app registrations itself).
set -eu
kind="$(azd env get-value AKSOPS_ENVIRONMENT_KIND 2>/dev/null || echo dev)"
token="$(azd env get-value AKSOPS_ALERTMANAGER_TOKEN_SECRET 2>/dev/null || echo '')"
if [ "$kind" = "prod" ] && [ -z "$token" ]; then
  echo "preprovision: AKSOPS_ENVIRONMENT_KIND=prod needs an Alertmanager webhook credential." >&2
  echo "Fix: store a random token in Key Vault and run: azd env set AKSOPS_ALERTMANAGER_TOKEN_SECRET <secret-name>" >&2
  exit 1
fi

if [ "$(azd env get-value AKSOPS_EASY_AUTH 2>/dev/null || echo true)" = "false" ]; then
  echo "preprovision: Easy Auth disabled (AKSOPS_EASY_AUTH=false): on-call routes trust function keys only"
  exit 0
fi
existing="$(azd env get-value AKSOPS_EASY_AUTH_CLIENT_ID 2>/dev/null || echo '')"
if [ -n "$existing" ]; then
  echo "preprovision: Easy Auth app registration $existing"
  exit 0
fi
env_name="$(azd env get-value AZURE_ENV_NAME)"
roles_file="$(mktemp)"
trap 'rm -f "$roles_file"' EXIT
cat > "$roles_file" <<JSON
[
  {"allowedMemberTypes": ["User", "Application"], "description": "Approve or reject risky runbooks, rotations, budget stages and cluster-scoped RBAC restores; cancel runs.", "displayName": "Approver", "isEnabled": true, "value": "Approver", "id": "$(cat /proc/sys/kernel/random/uuid)"},
  {"allowedMemberTypes": ["User", "Application"], "description": "Start runbooks, backups, restores and rotations; pause and resume automation; evaluate budgets.", "displayName": "Operator", "isEnabled": true, "value": "Operator", "id": "$(cat /proc/sys/kernel/random/uuid)"}
]
JSON
app_id="$(az ad app create --display-name "aksops-$env_name" --sign-in-audience AzureADMyOrg --app-roles "@$roles_file" --query appId -o tsv)"
az ad app update --id "$app_id" --identifier-uris "api://$app_id"
az ad sp create --id "$app_id" >/dev/null 2>&1 || true
azd env set AKSOPS_EASY_AUTH_CLIENT_ID "$app_id"
echo "preprovision: created Easy Auth app registration $app_id (assign Approver/Operator in Enterprise applications)"
