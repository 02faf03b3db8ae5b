// `aksops secrets status`: where every enrolled secret stands, read from Key Vault (metadata only,
// never values): current version, its stage tag, expiry, whether the sweep would rotate it now.
import { createVaultSecrets, type VaultSecrets } from '../adapters/keyvault.js';
import { enrolment, rotationPolicy, sweepDecision, TAG } from '../rotation/model.js';
import { configPath, loadConfigOrReport, parseFlags, UsageError } from './args.js';
import type { CliIo } from './io.js';

export interface SecretsCliDeps {
  vault(url: string): VaultSecrets;
  now(): Date;
}

const defaultDeps: SecretsCliDeps = { vault: (url) => createVaultSecrets({ vaultUrl: url }), now: () => new Date() };

export const SECRETS_STATUS_FLAGS = { config: { type: 'string' }, vault: { type: 'string' } } as const;

export async function runSecretsStatus(args: string[], io: CliIo, deps: SecretsCliDeps = defaultDeps): Promise<number> {
  let path: string;
  let vaultUrl: string | undefined;
  try {
    const { values } = parseFlags(args, SECRETS_STATUS_FLAGS, 'secrets status');
    path = configPath(values.config, io.env);
    vaultUrl = values.vault ?? io.env['KEY_VAULT_URI'];
    if (!vaultUrl) throw new UsageError('aksops secrets status: no vault. Fix: pass --vault https://<vault>.vault.azure.net or set KEY_VAULT_URI');
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    throw e;
  }
  const cfg = loadConfigOrReport(path, io);
  if (!cfg) return 1;
  const rot = cfg.source.rotation;
  const policy = rotationPolicy(rot);
  const vault = deps.vault(vaultUrl);
  let listed;
  try {
    listed = await vault.listSecrets();
  } catch (e) {
    io.err(`aksops secrets status: ${(e as Error).message}`);
    return 1;
  }
  const now = deps.now();
  for (const s of listed) {
    const e = enrolment(rot, s.name, s.tags);
    if (!e) continue;
    const latest = await vault.latest(s.name);
    const d = sweepDecision(
      {
        name: s.name,
        version: latest?.version ?? '',
        tags: s.tags,
        ...(s.expiresOn ? { expiresOn: s.expiresOn } : {}),
        ...(s.createdOn ? { createdOn: s.createdOn } : {}),
      },
      e.validityDays,
      now,
      policy.windowSeconds,
    );
    io.out(
      JSON.stringify({
        name: s.name,
        strategy: e.strategy,
        enrolledBy: e.source,
        version: latest?.version ?? null,
        stage: s.tags[TAG.stage] ?? null,
        credential: s.tags[TAG.credential] ?? null,
        rotation: s.tags[TAG.rotation] ?? null,
        expiresOn: s.expiresOn ?? null,
        due: d.due,
        reason: d.reason,
        detail: d.detail,
      }),
    );
  }
  for (const c of rot?.secrets ?? []) {
    if (!listed.some((s) => s.name.toLowerCase() === c.name.toLowerCase()))
      io.out(
        JSON.stringify({
          name: c.name,
          strategy: c.strategy,
          enrolledBy: 'config',
          version: null,
          due: false,
          reason: 'missing',
          detail: `not in ${vault.vaultUrl}`,
        }),
      );
  }
  return 0;
}
