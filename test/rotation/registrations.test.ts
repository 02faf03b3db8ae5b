// The rotation functions as the host indexes them (compiled app + stand-in @azure/functions-core,
// as test/functions/registrations.test.ts does): the Event Grid trigger Bicep subscribes
// (secretRotationEventGrid), the sweep timer, the on-call HTTP routes, the orchestration, the
// slots entity and every activity the orchestrator calls.
import { describe, expect, it } from 'vitest';
import { loadRegistrations } from '../support/registrations.js';
import { readFileSync } from 'node:fs';
import { ROTATION_ACTIVITY } from '../../src/rotation/contracts.js';

describe('rotation registrations', () => {
  const regs = new Map(loadRegistrations().map((r) => [r.name, r]));
  const trigger = (name: string) => Object.values(regs.get(name)?.bindings ?? {}).find((b) => /trigger$/i.test(b.type));
  const hasClient = (name: string) => Object.values(regs.get(name)?.bindings ?? {}).some((b) => b.type === 'durableClient' && b.direction === 'in');

  it('registers the Event Grid trigger under the name Bicep subscribes, with a Durable client', () => {
    const bicep = readFileSync('bicep/main.bicep', 'utf8');
    const name = /param secretRotationFunctionName string = '([^']+)'/.exec(bicep)?.[1];
    expect(name).toBe('secretRotationEventGrid');
    expect(trigger(name!)).toMatchObject({ type: 'eventGridTrigger', direction: 'in' });
    expect(hasClient(name!)).toBe(true);
  });

  it('registers the daily sweep and the on-call endpoints behind function keys', () => {
    expect(trigger('secretRotationSweep')).toMatchObject({ type: 'timerTrigger', schedule: '0 0 3 * * *' });
    expect(hasClient('secretRotationSweep')).toBe(true);
    expect(trigger('rotationsStart')).toMatchObject({ type: 'httpTrigger', route: 'rotations', methods: ['POST'], authLevel: 'function' });
    expect(trigger('rotationsStatus')).toMatchObject({ route: 'rotations/{instanceId}', methods: ['GET'], authLevel: 'function' });
    expect(trigger('rotationsApprove')).toMatchObject({ route: 'rotations/{instanceId}/approval', methods: ['POST'], authLevel: 'function' });
  });

  it('registers the orchestration, the slots entity and every activity it calls', () => {
    expect(trigger('secretRotation')?.type).toBe('orchestrationTrigger');
    expect(trigger('rotationSlots')?.type).toBe('entityTrigger');
    for (const a of Object.values(ROTATION_ACTIVITY)) expect(trigger(a)?.type, a).toBe('activityTrigger');
  });
});
