// Survivors of the 2026-12-03 mutation run of src/windows/policy.ts (issue #19): a window end found
// past a dated bound the predicate still held at, and business hours made of several intervals or
// several holiday calendars. All times UTC; 2026-12-07 is a Monday, 2026-12-25 a Friday.
import { describe, expect, it } from 'vitest';
import { windowsSchema } from '../../src/config/windows-schema.js';
import { businessHours, endOf } from '../../src/windows/policy.js';

const at = (iso: string) => new Date(iso);

describe('endOf passes every dated bound the predicate still holds at', () => {
  it('after a bound where the predicate holds, a later bound between minutes is still the exact end', () => {
    const start = Date.parse('2026-12-07T10:00:00Z');
    const end = start + 90_000;
    expect(endOf((t) => t.getTime() < end, new Date(start), [start + 30_000, end])?.getTime()).toBe(end);
  });
});

describe('business hours with several intervals and several holiday calendars', () => {
  const w = windowsSchema.parse({
    timeIntervals: [
      { name: 'mornings', time_intervals: [{ weekdays: ['monday:friday'], times: [{ start_time: '08:00', end_time: '12:00' }] }] },
      { name: 'afternoons', time_intervals: [{ weekdays: ['monday:friday'], times: [{ start_time: '13:00', end_time: '17:00' }] }] },
    ],
    holidays: [
      { name: 'uk', dates: ['2026-12-25', '2026-12-28'] },
      { name: 'us', dates: ['2026-12-25', '2026-12-24'] },
    ],
    businessHours: { intervals: ['mornings', 'afternoons'], holidays: ['uk', 'us'] },
  });

  it('is in hours inside any one of its intervals, out of hours between them until the next starts', () => {
    expect(businessHours(w, at('2026-12-07T09:00:00Z'))).toEqual({ inHours: true, nextStart: null });
    expect(businessHours(w, at('2026-12-07T14:00:00Z'))).toEqual({ inHours: true, nextStart: null });
    expect(businessHours(w, at('2026-12-07T12:30:00Z'))).toEqual({ inHours: false, nextStart: '2026-12-07T13:00:00.000Z' });
  });

  it('is out of hours on a holiday of any one of its calendars, not only on days all calendars share', () => {
    expect(businessHours(w, at('2026-12-28T09:00:00Z')).inHours).toBe(false);
    expect(businessHours(w, at('2026-12-24T09:00:00Z')).inHours).toBe(false);
    expect(businessHours(w, at('2026-12-25T09:00:00Z')).inHours).toBe(false);
    expect(businessHours(w, at('2026-12-23T09:00:00Z')).inHours).toBe(true);
  });
});
