// Runbook parameters are templated from alert labels, in the two spellings Prometheus and
// Alertmanager users know: {{ $labels.namespace }} (alerting rules) and {{ .Labels.namespace }}
// (notification templates). Only label lookups are supported: no functions, no pipelines.
const PLACEHOLDER = /\{\{\s*(?:\$labels|\.Labels)\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;
const ANY_BRACES = /\{\{|\}\}/;

export type TemplatePart = { text: string } | { label: string };

export interface CompiledTemplate {
  source: string;
  parts: TemplatePart[];
  labels: string[];
}

/** Compiles a template; throws with a message naming the fix when it uses unsupported syntax. */
export function compileTemplate(source: string): CompiledTemplate {
  const parts: TemplatePart[] = [];
  const labels: string[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const before = source.slice(last, m.index);
    if (ANY_BRACES.test(before)) throw unsupported(source);
    if (before) parts.push({ text: before });
    parts.push({ label: m[1]! });
    labels.push(m[1]!);
    last = m.index + m[0].length;
  }
  const rest = source.slice(last);
  if (ANY_BRACES.test(rest)) throw unsupported(source);
  if (rest) parts.push({ text: rest });
  return { source, parts, labels };
}

function unsupported(source: string): Error {
  return new Error(`template "${source}" uses syntax other than label lookups. Fix: use {{ $labels.NAME }} (or {{ .Labels.NAME }}) and plain text only`);
}

/** Renders against alert labels; returns the names of labels that were missing or empty. */
export function renderTemplate(t: CompiledTemplate, labels: Record<string, string>): { value: string; missing: string[] } {
  let value = '';
  const missing: string[] = [];
  for (const p of t.parts) {
    if ('text' in p) value += p.text;
    else {
      const v = Object.prototype.hasOwnProperty.call(labels, p.label) ? labels[p.label] : undefined;
      if (v === undefined || v === '') missing.push(p.label);
      else value += v;
    }
  }
  return { value, missing };
}
