// Loads the compiled app (package.json "main") in a fresh node process with a stand-in for the
// worker's @azure/functions-core, and checks every registration's real metadata: what the
// Functions host would index. A wrong trigger type or route would otherwise only show in Azure.
import { describe, expect, it } from 'vitest';
import { loadRegistrations, triggerOf } from '../support/registrations.js';

describe('function registrations (what the host indexes)', () => {
  const regs = loadRegistrations();
  const byName = new Map(regs.map((r) => [r.name, r]));

  it('registers each function once, each with a handler and one trigger', () => {
    expect(new Set(regs.map((r) => r.name)).size).toBe(regs.length);
    for (const r of regs) {
      expect(r.handler, r.name).toBe('function');
      expect(
        Object.values(r.bindings).filter((b) => /trigger$/i.test(b.type)),
        r.name,
      ).toHaveLength(1);
    }
  });

  it('exposes the Alertmanager webhook as POST alerts/alertmanager with a function key and a Durable client', () => {
    const wh = byName.get('alertmanagerWebhook')!;
    expect(triggerOf(wh)).toMatchObject({ type: 'httpTrigger', route: 'alerts/alertmanager', methods: ['POST'], authLevel: 'function' });
    expect(Object.values(wh.bindings).some((b) => b.type === 'durableClient' && b.direction === 'in')).toBe(true);
  });

  it('protects every HTTP function with at least a function key, except the data-free console files and API description', () => {
    // Named here so a new anonymous route fails this test: the console's static files and the
    // OpenAPI document hold no data (docs/security.md); Easy Auth keeps them behind sign-in in Azure.
    const PUBLIC = ['consoleAssets', 'openApi'];
    const anonymous = regs.filter((r) => triggerOf(r).type === 'httpTrigger' && triggerOf(r).authLevel === 'anonymous').map((r) => r.name);
    expect(anonymous.sort()).toEqual(PUBLIC);
  });

  it('registers the on-call runbook endpoints with a Durable client, and the remediation activities', () => {
    const routes = Object.fromEntries(
      ['runbooksList', 'runbooksStart', 'runbooksRunStatus', 'runbooksRunApprove', 'runbooksRunReject', 'runbooksRunCancel'].map((n) => [
        n,
        triggerOf(byName.get(n)!),
      ]),
    );
    expect(routes['runbooksList']).toMatchObject({ type: 'httpTrigger', route: 'runbooks', methods: ['GET'], authLevel: 'function' });
    expect(routes['runbooksStart']).toMatchObject({ route: 'runbooks/{name}', methods: ['POST'], authLevel: 'function' });
    expect(routes['runbooksRunStatus']).toMatchObject({ route: 'runbooks/runs/{id}', methods: ['GET'] });
    expect(routes['runbooksRunApprove']).toMatchObject({ route: 'runbooks/runs/{id}/approve', methods: ['GET', 'POST'] });
    expect(routes['runbooksRunReject']).toMatchObject({ route: 'runbooks/runs/{id}/reject', methods: ['GET', 'POST'] });
    expect(routes['runbooksRunCancel']).toMatchObject({ route: 'runbooks/runs/{id}/cancel', methods: ['POST'] });
    for (const n of ['runbooksStart', 'runbooksRunStatus', 'runbooksRunApprove', 'runbooksRunCancel']) {
      expect(
        Object.values(byName.get(n)!.bindings).some((b) => b.type === 'durableClient' && b.direction === 'in'),
        n,
      ).toBe(true);
    }
    for (const a of ['resolveTarget', 'planRunbook', 'runRunbook', 'verifyRemediation', 'silence', 'writeAudit', 'notify']) {
      expect(triggerOf(byName.get(a)!), a).toMatchObject({ type: 'activityTrigger' });
    }
  });

  it('registers the backup endpoints, schedule timer, orchestrations and activities (#4)', () => {
    expect(triggerOf(byName.get('backupsStart')!)).toMatchObject({ type: 'httpTrigger', route: 'backups', methods: ['POST'], authLevel: 'function' });
    expect(triggerOf(byName.get('backupsList')!)).toMatchObject({ route: 'backups', methods: ['GET'], authLevel: 'function' });
    expect(triggerOf(byName.get('backupsShow')!)).toMatchObject({ route: 'backups/{id}', methods: ['GET'] });
    expect(triggerOf(byName.get('restoresStart')!)).toMatchObject({ route: 'restores', methods: ['POST'] });
    expect(triggerOf(byName.get('restoresStatus')!)).toMatchObject({ route: 'restores/{id}', methods: ['GET'] });
    expect(triggerOf(byName.get('backupSchedule')!)).toMatchObject({ type: 'timerTrigger', schedule: '0 */5 * * * *' });
    for (const n of ['backupsStart', 'backupsShow', 'restoresStart', 'restoresStatus', 'backupSchedule']) {
      expect(
        Object.values(byName.get(n)!.bindings).some((b) => b.type === 'durableClient' && b.direction === 'in'),
        n,
      ).toBe(true);
    }
    for (const o of ['backup', 'backupRetention', 'backupVerification', 'restore', 'backupDrill'])
      expect(triggerOf(byName.get(o)!), o).toMatchObject({ type: 'orchestrationTrigger' });
    for (const a of ['backupPlan', 'backupObjects', 'backupDatabase', 'backupWriteManifest', 'backupDelete', 'restoreStep', 'restoreDatabase'])
      expect(triggerOf(byName.get(a)!), a).toMatchObject({ type: 'activityTrigger' });
  });

  it('registers the audit and pause endpoints', () => {
    expect(triggerOf(byName.get('auditQuery')!)).toMatchObject({ route: 'audit', methods: ['GET'] });
    expect(triggerOf(byName.get('pauseSet')!)).toMatchObject({ route: 'pause', methods: ['POST'] });
  });

  it('registers the maintenance-window endpoints and the window gate activity (#15)', () => {
    expect(triggerOf(byName.get('windowsList')!)).toMatchObject({ type: 'httpTrigger', route: 'windows', methods: ['GET'], authLevel: 'function' });
    expect(triggerOf(byName.get('windowsOpen')!)).toMatchObject({ route: 'windows', methods: ['POST'], authLevel: 'function' });
    expect(triggerOf(byName.get('windowsClose')!)).toMatchObject({ route: 'windows/{id}/close', methods: ['POST'], authLevel: 'function' });
    expect(triggerOf(byName.get('windowGate')!)).toMatchObject({ type: 'activityTrigger' });
  });
});
