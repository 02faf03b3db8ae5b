// The app's Azure credential: its user-assigned managed identity in Azure (AZURE_CLIENT_ID),
// DefaultAzureCredential locally (az login). One instance per client ID and process, so every
// adapter shares its token cache; @azure/identity is loaded on first use (cold start).
import type { TokenCredential } from '@azure/core-auth';

const credentials = new Map<string, Promise<TokenCredential>>();

export function appCredential(managedIdentityClientId?: string): Promise<TokenCredential> {
  const key = managedIdentityClientId ?? '';
  let pending = credentials.get(key);
  if (!pending) {
    pending = import('@azure/identity').then((identity) =>
      key ? new identity.ManagedIdentityCredential({ clientId: key }) : new identity.DefaultAzureCredential(),
    );
    credentials.set(key, pending);
    pending.catch(() => credentials.delete(key));
  }
  return pending;
}
