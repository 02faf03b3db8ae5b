// What a backup verification found, in one line an on-call engineer can act on: the audit row's
// detail, the verification's custom status and the console's answer all say it the same way. Pure
// (the verification orchestrator imports it).
import type { VerifyReport } from './catalog.js';

export interface VerifyVerdict {
  ok: boolean;
  /** "verified: ..." or why not, naming the first damaged items. */
  reason: string;
}

const first = (list: string[]): string => (list.length > 3 ? `${list.slice(0, 3).join(', ')} and ${list.length - 3} more` : list.join(', '));

export function verifyVerdict(r: VerifyReport): VerifyVerdict {
  if (r.error) return { ok: false, reason: r.error };
  const counts = `${r.checked} item(s), ${r.bytes} bytes checked`;
  const archived = r.archived.length ? `; ${r.archived.length} in the archive tier (not read)` : '';
  if (r.ok) return { ok: true, reason: `verified: ${counts}${archived}` };
  const why = [
    r.mismatches.length ? `${r.mismatches.length} checksum mismatch(es): ${first(r.mismatches.map((m) => m.path))}` : '',
    r.missing.length ? `${r.missing.length} missing: ${first(r.missing)}` : '',
    r.undecryptable.length ? `${r.undecryptable.length} undecryptable: ${first(r.undecryptable.map((u) => `${u.path} (${u.error})`))}` : '',
  ].filter((x) => x !== '');
  return { ok: false, reason: `failed: ${why.join('; ')} (${counts}${archived}). Fix: restore from another backup; aksops backup list shows them` };
}
