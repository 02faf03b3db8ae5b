// Validation of Alertmanager webhook payloads (version 4), written by hand rather than with a
// schema library: it runs on every alert (benchmarked at 50k alerts/s), must name the exact
// field at fault, and must copy labels into fresh objects so hostile keys ("__proto__",
// "constructor") can never reach a prototype. Unknown fields are accepted and dropped, since
// newer Alertmanager versions add fields (payload shape: prometheus/alertmanager
// notify/webhook/webhook.go Message and template.Data).
import type { AlertmanagerAlert, AlertmanagerWebhook } from '../domain/types.js';

export const PAYLOAD_LIMITS = {
  alerts: 5000,
  labelsPerAlert: 128,
  labelNameLength: 256,
  labelValueLength: 4096,
  annotationValueLength: 16384,
  stringLength: 8192,
} as const;

export class PayloadError extends Error {
  constructor(
    /** JSON path of the field at fault, e.g. alerts[3].labels.namespace */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'PayloadError';
  }
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json, field: string, max: number = PAYLOAD_LIMITS.stringLength, optional = false): string {
  if (v === undefined && optional) return '';
  if (typeof v !== 'string') throw new PayloadError(field, `expected a string, got ${describe(v)}`);
  if (v.length > max) throw new PayloadError(field, `is ${v.length} characters long; at most ${max} are accepted`);
  return v;
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v === undefined) return 'nothing (the field is missing)';
  return `a ${typeof v}`;
}

function labelMap(v: Json, field: string, maxValue: number, optional = false): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (v === undefined || (optional && v === null)) {
    if (optional) return out;
    throw new PayloadError(field, 'is missing; expected an object of label names to string values');
  }
  if (!isObject(v)) throw new PayloadError(field, `expected an object of label names to string values, got ${describe(v)}`);
  let n = 0;
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    if (++n > PAYLOAD_LIMITS.labelsPerAlert) throw new PayloadError(field, `has more than ${PAYLOAD_LIMITS.labelsPerAlert} entries`);
    // Prometheus drops "__"-prefixed labels before alerting; an incoming one is hostile or broken.
    if (k.length === 0 || k.length > PAYLOAD_LIMITS.labelNameLength || k.startsWith('__')) {
      throw new PayloadError(
        `${field}`,
        `has an invalid name ${JSON.stringify(k.slice(0, 40))} (empty, longer than ${PAYLOAD_LIMITS.labelNameLength}, or starting with "__")`,
      );
    }
    const val = v[k];
    if (typeof val !== 'string') throw new PayloadError(`${field}.${k}`, `expected a string, got ${describe(val)}`);
    if (val.length > maxValue) throw new PayloadError(`${field}.${k}`, `is ${val.length} characters long; at most ${maxValue} are accepted`);
    out[k] = val;
  }
  return out;
}

function time(v: Json, field: string): string {
  const s = str(v, field, 64);
  // RFC 3339 as Go's time.Time marshals it. The zero time is valid (endsAt while firing).
  // Date.parse alone is not enough: V8 rolls 2026-02-30 over to March 2.
  if (!isRfc3339(s)) {
    throw new PayloadError(field, `${JSON.stringify(s.slice(0, 40))} is not an RFC 3339 time such as 2026-11-22T03:00:00Z`);
  }
  return s;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function isRfc3339(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 60) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d >= 1 && d <= daysInMonth && !Number.isNaN(Date.parse(s));
}

function status(v: Json, field: string): 'firing' | 'resolved' {
  if (v === 'firing' || v === 'resolved') return v;
  throw new PayloadError(field, `expected "firing" or "resolved", got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : describe(v)}`);
}

function alert(v: Json, i: number): AlertmanagerAlert {
  const f = `alerts[${i}]`;
  if (!isObject(v)) throw new PayloadError(f, `expected an alert object, got ${describe(v)}`);
  // Checked in the order Alertmanager writes the fields, so the first error is the first one a reader meets.
  const st = status(v['status'], `${f}.status`);
  const labels = labelMap(v['labels'], `${f}.labels`, PAYLOAD_LIMITS.labelValueLength);
  const annotations = labelMap(v['annotations'], `${f}.annotations`, PAYLOAD_LIMITS.annotationValueLength, true);
  const startsAt = time(v['startsAt'], `${f}.startsAt`);
  const endsAt = v['endsAt'] === undefined ? '0001-01-01T00:00:00Z' : time(v['endsAt'], `${f}.endsAt`);
  const generatorURL = str(v['generatorURL'], `${f}.generatorURL`, PAYLOAD_LIMITS.stringLength, true);
  const fingerprint = str(v['fingerprint'], `${f}.fingerprint`, 128);
  if (!/^[0-9a-f]{1,64}$/i.test(fingerprint)) throw new PayloadError(`${f}.fingerprint`, 'expected the hexadecimal fingerprint Alertmanager computes');
  return { status: st, labels, annotations, startsAt, endsAt, generatorURL, fingerprint };
}

/** Checks a parsed JSON value; throws PayloadError naming the field at fault. */
export function validateWebhook(body: Json): AlertmanagerWebhook {
  if (!isObject(body)) throw new PayloadError('(body)', `expected a JSON object as Alertmanager sends, got ${describe(body)}`);
  const version = str(body['version'], 'version', 16);
  if (version !== '4') throw new PayloadError('version', `payload version ${JSON.stringify(version)} is not supported; Alertmanager sends "4"`);
  const rawAlerts = body['alerts'];
  if (!Array.isArray(rawAlerts)) throw new PayloadError('alerts', `expected an array of alerts, got ${describe(rawAlerts)}`);
  if (rawAlerts.length > PAYLOAD_LIMITS.alerts) {
    throw new PayloadError(
      'alerts',
      `has ${rawAlerts.length} alerts; at most ${PAYLOAD_LIMITS.alerts} are accepted per request (set max_alerts in the webhook_config)`,
    );
  }
  const truncated = body['truncatedAlerts'];
  if (truncated !== undefined && (typeof truncated !== 'number' || !Number.isInteger(truncated) || truncated < 0)) {
    throw new PayloadError('truncatedAlerts', `expected a whole number, got ${describe(truncated)}`);
  }
  return {
    version,
    groupKey: str(body['groupKey'], 'groupKey', PAYLOAD_LIMITS.stringLength, true),
    truncatedAlerts: truncated ?? 0,
    status: status(body['status'], 'status'),
    receiver: str(body['receiver'], 'receiver', 512, true),
    groupLabels: labelMap(body['groupLabels'], 'groupLabels', PAYLOAD_LIMITS.labelValueLength, true),
    commonLabels: labelMap(body['commonLabels'], 'commonLabels', PAYLOAD_LIMITS.labelValueLength, true),
    commonAnnotations: labelMap(body['commonAnnotations'], 'commonAnnotations', PAYLOAD_LIMITS.annotationValueLength, true),
    externalURL: str(body['externalURL'], 'externalURL', 2048, true),
    alerts: rawAlerts.map(alert),
  };
}

/** JSON.parse with an error that says where the JSON is broken. */
export function parseWebhookJson(text: string): AlertmanagerWebhook {
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new PayloadError('(body)', `is not valid JSON (${(e as Error).message.slice(0, 120)})`);
  }
  return validateWebhook(body);
}
