// Every runbook has a page in docs/runbooks/ that links its code and its test, and every link
// there points at a file that exists (a moved or renamed file breaks this test, not the reader).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runbookNames } from '../../src/runbooks/catalogue.js';

const page = (name: string) => readFileSync(join('docs', 'runbooks', `${name}.md`), 'utf8');
const localLinks = (text: string) => [...text.matchAll(/\]\((\.\.\/\.\.\/[^)#\s]+)\)/g)].map((m) => join('docs', 'runbooks', m[1]!));

describe('docs/runbooks pages', () => {
  it.each(runbookNames())('%s: links its code in src/runbooks/ and its test in test/', (name) => {
    const links = localLinks(page(name));
    expect(links.some((l) => l.startsWith(join('src', 'runbooks') + '/'))).toBe(true);
    expect(links.some((l) => l.startsWith('test/') && l.endsWith('.test.ts'))).toBe(true);
  });

  it('every relative link in docs/runbooks/ and the README table points at a file that exists', () => {
    const pages = [...runbookNames(), 'README'].map((n) => [n, page(n)] as const);
    const missing = pages.flatMap(([n, text]) =>
      localLinks(text)
        .filter((l) => !existsSync(l))
        .map((l) => `${n}: ${l}`),
    );
    const readme = readFileSync('README.md', 'utf8');
    const table = [...readme.matchAll(/`((?:src|test|docs)\/[\w./-]+\.(?:ts|md))`/g)].map((m) => m[1]!);
    expect(table.length).toBeGreaterThan(20);
    expect([...missing, ...table.filter((p) => !existsSync(p))]).toEqual([]);
  });
});
