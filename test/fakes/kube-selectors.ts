// Label and field selectors as the API server parses them
// (k8s.io/apimachinery/pkg/labels/selector.go, pkg/fields/selector.go). Label selectors
// support =, ==, !=, in, notin, exists and !exists; field selectors =, ==, !=.
import { statusError } from './kube-status.js';

type LabelRequirement = { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

const KEY = /^([a-z0-9A-Z][-a-z0-9A-Z_.]*\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses ("a in (x,y),b=c"). */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim());
}

function checkKey(key: string): string {
  if (!KEY.test(key)) throw statusError.badRequest(`unable to parse requirement: invalid label key "${key}"`);
  return key;
}

function checkValue(v: string): string {
  if (!VALUE.test(v) || v.length > 63) throw statusError.badRequest(`unable to parse requirement: invalid label value: "${v}"`);
  return v;
}

function parseLabelRequirement(part: string): LabelRequirement {
  let m = /^!\s*(\S+)$/.exec(part);
  if (m) return { key: checkKey(m[1]!), op: '!exists' };
  m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(part);
  if (m) {
    const op = m[2] === '!=' ? 'notin' : 'in';
    return { key: checkKey(m[1]!), op, values: [checkValue(m[3]!)] };
  }
  m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
  if (m) {
    const values = m[3]!.split(',').map((v) => checkValue(v.trim()));
    return { key: checkKey(m[1]!), op: m[2] as 'in' | 'notin', values };
  }
  if (/^\S+$/.test(part)) return { key: checkKey(part), op: 'exists' };
  throw statusError.badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, or identifier`);
}

export type LabelPredicate = (labels: Record<string, string> | undefined) => boolean;

/** Parses a labelSelector query value; throws a 400 Status on syntax the real server rejects. */
export function parseLabelSelector(selector: string | undefined): LabelPredicate {
  if (selector === undefined || selector.trim() === '') return () => true;
  const reqs = splitTopLevel(selector).map(parseLabelRequirement);
  return (labels) =>
    reqs.every((r) => {
      const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = has ? labels[r.key]! : undefined;
      switch (r.op) {
        case 'exists':
          return has;
        case '!exists':
          return !has;
        case 'in':
          return has && r.values.includes(v!);
        case 'notin':
          // Like the real server: a missing key satisfies "!=" and "notin".
          return !has || !r.values.includes(v!);
      }
    });
}

export type FieldPredicate = (fieldValue: (field: string) => string) => boolean;

/**
 * Parses a fieldSelector query value against the fields the resource supports; an unknown
 * field answers 400 "field label not supported" as the real server does.
 */
export function parseFieldSelector(selector: string | undefined, supported: string[]): FieldPredicate {
  if (selector === undefined || selector.trim() === '') return () => true;
  const reqs = selector.split(',').map((part) => {
    const m = /^\s*([^=!\s]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw statusError.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    if (!supported.includes(m[1]!)) throw statusError.badRequest(`field label not supported: ${m[1]}`);
    return { field: m[1]!, negate: m[2] === '!=', value: m[3]! };
  });
  return (get) => reqs.every((r) => (get(r.field) === r.value) !== r.negate);
}
