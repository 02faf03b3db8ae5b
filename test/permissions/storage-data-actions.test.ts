// Every Blob and Table request the app's stores make, through an authorizing proxy in front of the
// real Azurite: each maps to a data action that the declaration (src/permissions/azure.ts) lists
// for that storage account and that the account's Bicep role grants (bicep/builtin-roles.json);
// without one of them the feature fails with Storage's real 403.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { BackupBlobStore } from '../../src/adapters/blob-store.js';
import { ControlStore } from '../../src/adapters/control-store.js';
import { deleteRowsBefore } from '../../src/retention/purge.js';
import { AZURE_PERMISSIONS, permits } from '../../src/permissions/azure.js';
import { grantOperations } from '../../src/permissions/permissions-json.js';
import { StorageAuthzProxy } from '../fakes/storage-authz-proxy.js';
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME } from '../support/azurite.js';

const { blobEndpoint, tableEndpoint } = inject('azurite');
const roles = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'bicep', 'builtin-roles.json'), 'utf8')) as {
    roles: Record<string, { actions: string[]; dataActions: string[] }>;
  }
).roles;

/** What the app holds on one storage account: declared operations, and what the assigned roles grant. */
function account(name: 'app' | 'backup'): { declared: string[]; granted: string[] } {
  const grants = AZURE_PERMISSIONS.filter((g) => g.principal === 'functionApp' && g.account === name);
  return {
    declared: grants.flatMap((g) => grantOperations(g).map((o) => o.operation)),
    granted: grants.flatMap((g) => {
      const r = 'builtIn' in g.role ? roles[g.role.builtIn] : undefined;
      return r ? [...r.actions, ...r.dataActions] : [];
    }),
  };
}

const proxies: StorageAuthzProxy[] = [];
let blob: StorageAuthzProxy;
let table: StorageAuthzProxy;
const connection = () =>
  `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blob.url}/${AZURITE_ACCOUNT_NAME};TableEndpoint=${table.url}/${AZURITE_ACCOUNT_NAME};`;
const tableClient = (name: string) => async () => {
  const c = TableClient.fromConnectionString(connection(), name, { allowInsecureConnection: true });
  await c.createTable();
  return c;
};

beforeAll(async () => {
  blob = await new StorageAuthzProxy('blob', new URL(blobEndpoint)).start();
  table = await new StorageAuthzProxy('table', new URL(tableEndpoint)).start();
  proxies.push(blob, table);
});
afterAll(async () => {
  for (const p of proxies) await p.stop();
});

const record = (id: string, at = new Date().toISOString()) => ({ id, at, kind: 'control' as const, actor: 'test', detail: 'storage permissions' });

describe('Storage data actions of the app', () => {
  it('backups: every Blob request is declared for the backup account and granted by Storage Blob Data Contributor', async () => {
    const backup = account('backup');
    blob.policy = backup.declared;
    blob.requests.length = 0;
    const store = new BackupBlobStore({ connectionString: connection() });
    const c = `perm-${Date.now()}`;
    await store.writeOnceBuffer(c, 'b1/manifest.json', '{"ok":true}');
    await store.writeOnce(c, 'b1/dump.bin', [Buffer.alloc(1024, 1), Buffer.alloc(1024, 2)], { blockSize: 1024 });
    expect((await store.readBuffer(c, 'b1/manifest.json')).toString()).toBe('{"ok":true}');
    expect((await store.list(c, 'b1/')).length).toBe(2);
    expect(await store.properties(c, 'b1/dump.bin')).not.toBeNull();
    expect(await store.delete(c, 'b1/dump.bin')).toBe(true);
    const used = [...new Set(blob.requests.flatMap((r) => r.actions))].sort();
    expect(
      blob.requests.every((r) => r.status < 400 || r.status === 404 || r.status === 409),
      JSON.stringify(blob.requests.filter((r) => r.status >= 400)),
    ).toBe(true);
    expect(used).toEqual(
      expect.arrayContaining([
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
      ]),
    );
    for (const a of used)
      expect(
        backup.granted.some((p) => permits(p, a)),
        `${a} is not granted by the backup account's role`,
      ).toBe(true);
  });

  it("a backup without blobs/write fails with Storage's 403 AuthorizationPermissionMismatch", async () => {
    blob.policy = account('backup').declared.filter((o) => !o.endsWith('/blobs/write'));
    const store = new BackupBlobStore({ connectionString: connection() });
    const err = (await store.writeOnceBuffer(`perm-${Date.now()}-w`, 'x.json', '{}').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(`${err.message} ${JSON.stringify(err)}`).toMatch(/AuthorizationPermissionMismatch|403/);
    expect(blob.requests.at(-1)).toMatchObject({ status: 403, actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'] });
  });

  it('audit, control and retention: every Table request is declared for the app account and granted by Storage Table Data Contributor', async () => {
    const app = account('app');
    table.policy = app.declared;
    table.requests.length = 0;
    const suffix = String(Date.now()).slice(-8);
    const audit = new AuditStore(tableClient(`permaudit${suffix}`));
    await audit.write([record('a1'), record('a2')]);
    expect((await audit.query({})).items.length).toBe(2);
    const control = new ControlStore(tableClient(`permcontrol${suffix}`));
    await control.setPause({ paused: true, reason: 'test', by: 'test', at: '2020-01-01T00:00:00Z' });
    expect((await control.getPause())?.paused).toBe(true);
    expect(await deleteRowsBefore(await tableClient(`permaudit${suffix}`)(), new Date(Date.now() + 60_000))).toBe(2);
    expect(table.requests.filter((r) => r.status >= 400 && r.status !== 409)).toEqual([]);
    const used = [...new Set(table.requests.flatMap((r) => r.actions))].sort();
    expect(used).toEqual([
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/delete',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/read',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/write',
      'Microsoft.Storage/storageAccounts/tableServices/tables/write',
    ]);
    for (const a of used)
      expect(
        app.granted.some((p) => permits(p, a)),
        `${a} is not granted by the app account's roles`,
      ).toBe(true);
  });

  it('retention without entities/delete fails with the 403, and nothing is deleted', async () => {
    const suffix = String(Date.now()).slice(-8);
    table.policy = account('app').declared;
    const audit = new AuditStore(tableClient(`permret${suffix}`));
    await audit.write([record('r1')]);
    table.policy = account('app').declared.filter((o) => !o.endsWith('/entities/delete'));
    const err = (await deleteRowsBefore(await tableClient(`permret${suffix}`)(), new Date(Date.now() + 60_000)).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(table.requests.some((r) => r.status === 403 && r.actions.includes('Microsoft.Storage/storageAccounts/tableServices/tables/entities/delete'))).toBe(
      true,
    );
    table.policy = undefined;
    expect((await audit.query({})).items.length).toBe(1);
  });
});
