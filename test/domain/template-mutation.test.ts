// Label templates: behaviours that mutation testing found unguarded (issue #19).
import { describe, expect, it } from 'vitest';
import { compileTemplate, renderTemplate } from '../../src/domain/template.js';

const refusal = (src: string) =>
  `template "${src}" uses syntax other than label lookups. Fix: use {{ $labels.NAME }} (or {{ .Labels.NAME }}) and plain text only`;

describe('label templates', () => {
  it('splits text and lookups in order, in both spellings and any spacing', () => {
    expect(compileTemplate('ns-{{$labels.namespace}}/{{ .Labels.pod }}-x')).toEqual({
      source: 'ns-{{$labels.namespace}}/{{ .Labels.pod }}-x',
      parts: [{ text: 'ns-' }, { label: 'namespace' }, { text: '/' }, { label: 'pod' }, { text: '-x' }],
      labels: ['namespace', 'pod'],
    });
    expect(compileTemplate('{{ $labels.a }}{{ $labels.b }}').parts).toEqual([{ label: 'a' }, { label: 'b' }]);
    expect(compileTemplate('plain')).toEqual({ source: 'plain', parts: [{ text: 'plain' }], labels: [] });
    expect(compileTemplate('')).toEqual({ source: '', parts: [], labels: [] });
  });

  it('refuses unsupported syntax before, between and after valid lookups', () => {
    for (const src of [
      '{{ .Values.x }} {{ $labels.pod }}',
      '{{ $labels.a }}{{ x }}{{ $labels.b }}',
      '{{ $labels.pod }} }}',
      '{{ $labels.1pod }}',
      '{{ $labels.pod | lower }}',
    ]) {
      expect(() => compileTemplate(src), src).toThrow(Error);
      expect(() => compileTemplate(src), src).toThrow(refusal(src));
    }
  });

  it('renders labels, reporting missing, empty and prototype-only names as missing', () => {
    const t = compileTemplate('{{ $labels.constructor }}-{{ $labels.pod }}');
    expect(renderTemplate(t, { pod: 'api' })).toEqual({ value: '-api', missing: ['constructor'] });
    expect(renderTemplate(t, { constructor: 'c', pod: '' })).toEqual({ value: 'c-', missing: ['pod'] });
  });
});
