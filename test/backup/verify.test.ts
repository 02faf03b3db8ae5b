// Verifying one named backup (POST /api/backups/{id}/verify -> backupVerification): the request
// (instance ID, who asked, refusals), the verdict text, and the orchestration replayed through
// durable-functions' own executor with the real activities over Azurite, a crash after every step:
// a sound backup is verified, a damaged one fails naming the damaged item, and the audit row says
// who asked; the scheduled form (no backupId) still verifies the newest complete backup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReplayHarness, forEachCrashPoint } from '../support/replay-harness.js';
import { verificationOrchestrator } from '../../orchestrations/backup.js';
import { backupActivities } from '../../src/backup/activities.js';
import { readManifest } from '../../src/backup/manifest-write.js';
import { RequestError, verifyRequest } from '../../src/backup/triggers.js';
import { verifyVerdict } from '../../src/backup/verify-verdict.js';
import { backupsSchema } from '../../src/config/backup-schema.js';
import { checkBodyValue } from '../../src/api/validate.js';
import type { VerifyReport } from '../../src/backup/catalog.js';
import type { VerifyInput } from '../../src/domain/backup-types.js';
import type { AuditRecord } from '../../src/domain/types.js';
import { CLUSTER, createWorld, seedShop, writeShopBackup, type World } from './world.js';

const config = backupsSchema.parse({ encryption: { localKeySetting: 'BACKUP_LOCAL_KEY' }, clusters: [{ cluster: 'ms5-prod' }, { cluster: 'packamal' }] });
const OLD = '20250101T020000Z-nightly';
const NEW = '20250102T020000Z-nightly';

describe('verify request', () => {
  const now = new Date('2025-03-09T10:11:12Z');
  it('names the backup, the cluster and who asked; one instance per second', () => {
    expect(verifyRequest(config, OLD, { cluster: 'packamal' }, now, 'bob@contoso.com')).toEqual({
      orchestration: 'backupVerification',
      instanceId: `verify:packamal:${OLD}:20250309T101112Z`,
      input: { cluster: 'packamal', backupId: OLD, requestedBy: 'bob@contoso.com' },
    });
  });

  it('refuses an unknown cluster, a missing one when several exist, a bad ID and unknown fields', () => {
    const refusal = (id: string, body: { cluster?: string }) => {
      try {
        verifyRequest(config, id, body, now, 'x');
      } catch (e) {
        expect(e).toBeInstanceOf(RequestError);
        return `${(e as RequestError).status} ${(e as RequestError).message}`;
      }
      throw new Error('accepted');
    };
    expect(refusal(OLD, {})).toBe('400 cluster must be one of ms5-prod, packamal');
    expect(refusal(OLD, { cluster: 'other' })).toBe('400 cluster must be one of ms5-prod, packamal');
    expect(refusal('../../etc', { cluster: 'ms5-prod' })).toMatch(/^400 "..\/..\/etc" is not a backup ID. Fix: GET \/api\/backups lists them$/);
    const shape = checkBodyValue('backupsVerify', { cluster: 'ms5-prod', backupId: OLD });
    expect(shape.ok ? null : shape.invalid.body).toMatchObject({ parameter: 'backupId', error: expect.stringContaining('Unrecognized key') });
  });
});

describe('verify verdict', () => {
  const base: VerifyReport = {
    backupId: OLD,
    cluster: CLUSTER,
    ok: true,
    checked: 3,
    bytes: 900,
    mismatches: [],
    missing: [],
    archived: [],
    undecryptable: [],
  };
  it('says verified with what was checked, or why not with the damaged items first', () => {
    expect(verifyVerdict(base)).toEqual({ ok: true, reason: 'verified: 3 item(s), 900 bytes checked' });
    expect(verifyVerdict({ ...base, archived: ['c/a'] }).reason).toBe('verified: 3 item(s), 900 bytes checked; 1 in the archive tier (not read)');
    const bad = verifyVerdict({
      ...base,
      ok: false,
      mismatches: [{ path: 'c/x.json.gz', expected: 'a', actual: 'b', expectedSize: 1, actualSize: 2 }],
      missing: ['c/1', 'c/2', 'c/3', 'c/4', 'c/5'],
      undecryptable: [{ path: 'c/k', error: 'GCM tag' }],
    });
    expect(bad).toEqual({
      ok: false,
      reason:
        'failed: 1 checksum mismatch(es): c/x.json.gz; 5 missing: c/1, c/2, c/3 and 2 more; 1 undecryptable: c/k (GCM tag) (3 item(s), 900 bytes checked). Fix: restore from another backup; aksops backup list shows them',
    });
    expect(verifyVerdict({ ...base, ok: false, error: 'backup ms5-prod/x has no manifest' })).toEqual({
      ok: false,
      reason: 'backup ms5-prod/x has no manifest',
    });
  });
});

describe('backupVerification (replayed, real activities over Azurite)', () => {
  let w: World;
  beforeAll(async () => {
    w = await createWorld({ tag: 'verify' });
    seedShop(w.kube, 'shop');
    for (const id of [OLD, NEW]) await writeShopBackup(w.env, id);
  }, 120_000);
  afterAll(async () => w?.stop());

  const harness = (input: VerifyInput, audit: Map<string, AuditRecord>) =>
    createReplayHarness({
      orchestrator: verificationOrchestrator,
      instanceId: `verify:${CLUSTER}:${input.backupId ?? 'latest'}:20250309T101112Z`,
      input,
      activities: { ...backupActivities(w.env), writeAudit: (r: AuditRecord) => void audit.set(r.id, r) },
      name: 'backupVerification',
    });

  it('verifies the named backup, audits who asked, and survives a crash after every step', async () => {
    let audit = new Map<string, AuditRecord>();
    const { cleanResult, points } = await forEachCrashPoint(
      () => harness({ cluster: CLUSTER, backupId: OLD, requestedBy: 'bob@contoso.com' }, (audit = new Map())),
      (h, result, at) => {
        expect(result.status, `crash after ${at.n} (${at.what})`).toBe('completed');
        expect((result.output as VerifyReport).backupId).toBe(OLD);
        expect([...audit.values()].map((r) => r.result)).toEqual(['verified']);
      },
    );
    expect(points).toBeGreaterThanOrEqual(2);
    expect(cleanResult.output).toMatchObject({ backupId: OLD, ok: true, missing: [], mismatches: [] });
    expect(cleanResult.customStatus).toMatchObject({ phase: 'done', backupId: OLD, ok: true, reason: expect.stringMatching(/^verified: \d+ item\(s\)/) });
  });

  it('fails a damaged backup naming the damaged item, and the schedule still checks the newest complete one', async () => {
    const item = (await readManifest(w.env, CLUSTER, OLD))!.items[0]!;
    expect(await w.blobs.delete(item.container, item.path)).toBe(true);
    const audit = new Map<string, AuditRecord>();
    const damaged = await harness({ cluster: CLUSTER, backupId: OLD, requestedBy: 'bob@contoso.com' }, audit).run();
    expect(damaged.output).toMatchObject({ backupId: OLD, ok: false, missing: [`${item.container}/${item.path}`] });
    const row = [...audit.values()][0]!;
    expect(row).toMatchObject({ actor: 'bob@contoso.com', result: 'verify-failed', target: `${CLUSTER}/backup/${OLD}` });
    expect(row.detail).toContain(`1 missing: ${item.container}/${item.path}`);
    const scheduled = new Map<string, AuditRecord>();
    const latest = await harness({ cluster: CLUSTER }, scheduled).run();
    expect(latest.output).toMatchObject({ backupId: NEW, ok: true });
    expect([...scheduled.values()][0]).toMatchObject({ actor: 'timer', result: 'verified' });
  });
});
