// Holiday calendars from iCalendar (RFC 5545) files or URLs, parsed with ical.js (Mozilla's
// parser: line folding, escaping, DATE vs DATE-TIME, RRULE expansion) rather than by hand.
// Each event covers the local days from DTSTART up to DTEND (exclusive), e.g. the gov.uk
// bank-holiday feed (https://www.gov.uk/bank-holidays/england-and-wales.ics) has one all-day
// event per holiday. Recurring events are expanded up to `untilYear`.
// A URL comes from the config only (never from a payload) and is fetched here, in an activity
// or the CLI, never in an orchestrator.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { WindowsConfig } from '../config/windows-schema.js';
import type { HolidayDates } from './policy.js';

const MAX_DAYS_PER_EVENT = 31;
const MAX_BYTES = 2_000_000;

function isoDay(t: { year: number; month: number; day: number }): string {
  return `${String(t.year).padStart(4, '0')}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}`;
}

/** The dates (YYYY-MM-DD) an iCalendar text's events cover. Throws naming the problem. */
export async function parseIcalDates(text: string, untilYear = new Date().getUTCFullYear() + 3): Promise<string[]> {
  const ICAL = (await import('ical.js')).default;
  let root;
  try {
    root = new ICAL.Component(ICAL.parse(text));
  } catch (e) {
    throw new Error(
      `not an iCalendar file (${(e as Error).message}). Fix: point ical at a .ics file, e.g. https://www.gov.uk/bank-holidays/england-and-wales.ics`,
    );
  }
  const out = new Set<string>();
  for (const ve of root.getAllSubcomponents('vevent')) {
    const ev = new ICAL.Event(ve);
    const days = (start: InstanceType<typeof ICAL.Time>, end: InstanceType<typeof ICAL.Time> | null) => {
      const d = start.clone();
      d.isDate = true;
      const stop = end ? end.clone() : null;
      for (let i = 0; i < MAX_DAYS_PER_EVENT; i++) {
        out.add(isoDay(d));
        d.adjust(1, 0, 0, 0);
        if (!stop || d.compare(stop) >= 0) break;
      }
    };
    if (ev.isRecurring()) {
      const it = ev.iterator();
      for (let next = it.next(); next && next.year <= untilYear; next = it.next()) {
        const occ = ev.getOccurrenceDetails(next);
        days(occ.startDate, occ.endDate);
      }
    } else days(ev.startDate, ev.endDate);
  }
  return [...out].sort();
}

export interface HolidayLoaderOptions {
  /** Where relative ical paths are read from (the config file's folder). */
  baseDir: string;
  fetch?: typeof fetch;
  /** Cache lifetime; a calendar is re-read after this. */
  ttlMs?: number;
  now?: () => number;
}

/** A loader of every calendar's iCalendar dates, cached per calendar; a calendar that cannot be read keeps its last good dates and is reported. */
export function holidayLoader(opts: HolidayLoaderOptions): (w: WindowsConfig | undefined, log?: (m: string) => void) => Promise<HolidayDates> {
  const cache = new Map<string, { at: number; dates: string[] }>();
  const now = opts.now ?? Date.now;
  const ttl = opts.ttlMs ?? 86_400_000;
  let last: HolidayDates = {};
  return async (w, log) => {
    let changed = false;
    for (const h of w?.holidays ?? []) {
      if (!h.ical) continue;
      const hit = cache.get(h.name);
      if (hit && now() - hit.at < ttl) continue;
      try {
        let text: string;
        if (/^https:\/\//.test(h.ical)) {
          const res = await (opts.fetch ?? fetch)(h.ical, { signal: AbortSignal.timeout(10_000), redirect: 'follow' });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          text = await res.text();
        } else text = await readFile(isAbsolute(h.ical) ? h.ical : resolve(opts.baseDir, h.ical), 'utf8');
        if (text.length > MAX_BYTES) throw new Error(`larger than ${MAX_BYTES} bytes`);
        cache.set(h.name, { at: now(), dates: await parseIcalDates(text) });
        changed = true;
      } catch (e) {
        log?.(`holiday calendar ${h.name}: cannot read its ical (${(e as Error).message}); using ${hit ? 'the dates read before' : 'its dates list only'}`);
      }
    }
    if (changed) last = Object.fromEntries([...cache].map(([k, v]) => [k, v.dates]));
    return last;
  };
}
