// Cron schedules of backups, evaluated in UTC. Pure.
//
// Functions timers have one schedule fixed at registration, while backup schedules live in the
// operations config; so one timer ticks (BACKUP_TIMER_SCHEDULE, every 5 minutes by default) and
// asks, per schedule, for the latest slot at or before now. The backup ID is derived from that
// slot, so every tick inside the slot (and a timer that fires twice) maps to one instance ID and
// starts one backup.
//
// Syntax: the five crontab fields (crontab(5)): minute hour day-of-month month day-of-week, each
// `*`, a number, a range `a-b`, a list `a,b`, or a step `*/n` / `a-b/n`; day-of-week 0-7 (0 and 7
// are Sunday). As in Vixie cron, when both day fields are restricted a day matches either.

export interface Cron {
  text: string;
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number>;
  month: Set<number>;
  dow: Set<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 7 },
] as const;

function parseField(text: string, f: (typeof FIELDS)[number]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`${f.name} "${part}" is not a cron field. Fix: use *, N, A-B, A,B or */N`);
    let lo: number = f.min;
    let hi: number = f.max;
    if (m[1] !== '*') {
      lo = Number(m[2]);
      hi = m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : lo;
    }
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < f.min || hi > f.max || lo > hi || step < 1) throw new Error(`${f.name} "${part}" is out of range ${f.min}-${f.max}`);
    for (let v = lo; v <= hi; v += step) out.add(f.max === 7 && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses a five-field cron expression; throws an Error naming the bad field and the fix. */
export function parseCron(text: string): Cron {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new Error(`"${text}" has ${parts.length} fields; a schedule has five (minute hour day-of-month month day-of-week). Fix: e.g. "0 2 * * *" for 02:00 UTC daily`);
  }
  const [mi, h, dom, mo, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  return { text, minute: mi, hour: h, dom, month: mo, dow, domRestricted: parts[2] !== '*', dowRestricted: parts[4] !== '*' };
}

function dayMatches(c: Cron, d: Date): boolean {
  const dom = c.dom.has(d.getUTCDate());
  const dow = c.dow.has(d.getUTCDay());
  if (c.domRestricted && c.dowRestricted) return dom || dow;
  return dom && dow;
}

export function cronMatches(c: Cron, d: Date): boolean {
  return c.month.has(d.getUTCMonth() + 1) && dayMatches(c, d) && c.hour.has(d.getUTCHours()) && c.minute.has(d.getUTCMinutes());
}

/** The latest minute at or before `now` the schedule fires at, or null if none in the last ~5 years. */
export function latestSlot(c: Cron, now: Date): Date | null {
  const t = new Date(now.getTime());
  t.setUTCSeconds(0, 0);
  const stop = now.getTime() - 5 * 366 * 86_400_000;
  while (t.getTime() >= stop) {
    if (!c.month.has(t.getUTCMonth() + 1)) {
      t.setUTCDate(1);
      t.setUTCHours(0, 0, 0, 0);
      t.setTime(t.getTime() - 60_000); // last minute of the previous month
      continue;
    }
    if (!dayMatches(c, t)) {
      t.setUTCHours(0, 0, 0, 0);
      t.setTime(t.getTime() - 60_000);
      continue;
    }
    if (!c.hour.has(t.getUTCHours())) {
      t.setUTCMinutes(0, 0, 0);
      t.setTime(t.getTime() - 60_000);
      continue;
    }
    if (c.minute.has(t.getUTCMinutes())) return t;
    t.setTime(t.getTime() - 60_000);
  }
  return null;
}

/**
 * The slot a timer tick at `now` should start, or null: the latest slot, if it is at most
 * `startWithinSeconds` old (a tick that comes much later than the slot, after an outage, does not
 * start yesterday's backup under today's clock; the next slot will).
 */
export function dueSlot(c: Cron, now: Date, startWithinSeconds: number): Date | null {
  const slot = latestSlot(c, now);
  if (!slot) return null;
  return now.getTime() - slot.getTime() <= startWithinSeconds * 1000 ? slot : null;
}
