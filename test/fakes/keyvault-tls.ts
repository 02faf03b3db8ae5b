// TLS for fakes that must answer on a real Azure host name (Key Vault: <vault>.vault.azure.net),
// so the SDK's own checks run unchanged: @azure/keyvault-common verifies that the challenge
// resource's host is a suffix of the request host (keyVaultAuthenticationPolicy.js
// verifyChallengeResource), and TLS verifies the certificate's name. The certificate is
// self-signed for *.vault.azure.net, 127.0.0.1 and localhost; `loopbackAgent` is an https.Agent
// that trusts it and resolves every host name to 127.0.0.1 (net.connect `lookup`), handed to the
// SDK through its pipeline option `agent` (core-rest-pipeline agentPolicy). Nothing leaves the
// machine and no /etc/hosts entry is needed.
import { Agent } from 'node:https';
import type { LookupAddress } from 'node:dns';
import { testCertificate } from './kube-tls.js';

export interface HostCertificate {
  certPem: string;
  keyPem: string;
}

/** A self-signed certificate for *.vault.azure.net, management.azure.com, 127.0.0.1 and localhost. */
export function vaultCertificate(): HostCertificate {
  return testCertificate(['DNS:*.vault.azure.net', 'DNS:management.azure.com', 'IP:127.0.0.1', 'DNS:localhost']);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** An https.Agent that trusts vaultCertificate() and connects every host name to 127.0.0.1. */
export function loopbackAgent(): Agent {
  const lookup = (_host: string, options: { all?: boolean } | number | LookupCallback, cb?: LookupCallback): void => {
    const callback = (typeof options === 'function' ? options : cb)!;
    if (typeof options === 'object' && options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  };
  return new Agent({ ca: vaultCertificate().certPem, keepAlive: false, lookup: lookup });
}
