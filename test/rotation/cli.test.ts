// aksops secrets status | rotate: status reads Key Vault metadata (the fake vault through the real
// SecretClient) and prints one JSON object per enrolled secret without values; rotate POSTs to the
// app's /api/rotations with the function key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVaultSecrets } from '../../src/adapters/keyvault.js';
import { runSecretsStatus } from '../../src/cli/secrets-status.js';
import { runSecretsRotate } from '../../src/cli/secrets-rotate.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { TAG } from '../../src/rotation/model.js';
import { startFakeKeyVault, type FakeKeyVault } from '../fakes/keyvault-server.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-rot-'));
const cfg = join(dir, 'ops.yaml');
writeFileSync(
  cfg,
  `version: 1
clusters: [{ name: prod, kubeContext: prod }]
rotation:
  window: 7d
  secrets:
    - { name: api-key, strategy: random, cluster: prod, targets: [shop/api/KEY] }
    - { name: gone, strategy: random, cluster: prod, targets: [shop/api/GONE] }
`,
);

function io(env: Record<string, string> = {}): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), env, readStdin: () => '', cwd: dir };
}

let kv: FakeKeyVault;
beforeAll(async () => {
  kv = await startFakeKeyVault({ vaultName: 'kv-cli' });
});
afterAll(async () => kv.stop());

describe('aksops secrets status', () => {
  it('prints stage, expiry and whether each enrolled secret is due, never a value', async () => {
    kv.seed('api-key', 'cli-secret-value-123456789', {
      tags: { [TAG.stage]: 'current', [TAG.credential]: 'random' },
      expiresOn: new Date(Date.now() + 3 * 86400_000),
    });
    kv.seed('unrelated', 'unrelated-value-123456789');
    const o = io();
    const code = await runSecretsStatus(['--config', cfg, '--vault', kv.vaultUrl], o, {
      vault: (url) => createVaultSecrets({ vaultUrl: url, credential: kv.credential(), clientOptions: kv.clientOptions() }),
      now: () => new Date(),
    });
    expect(code).toBe(0);
    const rows = o.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toEqual([
      expect.objectContaining({ name: 'api-key', strategy: 'random', stage: 'current', due: true, reason: 'expiring', version: kv.latest('api-key')!.version }),
      expect.objectContaining({ name: 'gone', reason: 'missing' }),
    ]);
    expect(o.lines.join('\n')).not.toContain('cli-secret-value');
  });

  it('is a usage error without a vault', async () => {
    const o = io();
    expect(await main(['secrets', 'status', '--config', cfg], o)).toBe(2);
    expect(o.errors[0]).toMatch(/--vault .*KEY_VAULT_URI/);
  });
});

describe('aksops secrets rotate', () => {
  let server: Server;
  let url = '';
  const seen: Array<{ path: string; key: string | undefined; body: string }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', key: req.headers['x-functions-key'] as string | undefined, body });
        res.writeHead(202, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ secretName: 'api-key', decision: 'started', instanceId: 'rotation-api-key-abc' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));

  it('POSTs to /api/rotations with the function key and prints the decision', async () => {
    const o = io({ AKSOPS_FUNCTION_KEY: 'fn-key-123' });
    expect(await runSecretsRotate(['api-key', '--url', url, '--dry-run'], o)).toBe(0);
    expect(seen.at(-1)).toEqual({ path: '/api/rotations', key: 'fn-key-123', body: JSON.stringify({ secret: 'api-key', dryRun: true }) });
    expect(JSON.parse(o.lines[0]!)).toMatchObject({ decision: 'started', instanceId: 'rotation-api-key-abc' });
  });

  it('refuses bad names and a missing app (usage)', async () => {
    expect(await main(['secrets', 'rotate', 'bad/name', '--app', url], io())).toBe(2);
    expect(await main(['secrets', 'rotate', 'api-key'], io())).toBe(2);
  });
});
