// Keeps the configuration reference honest: every app setting the code reads and every
// runbook is documented.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SETTINGS } from '../../src/config/settings.js';
import { runbookNames } from '../../src/runbooks/catalogue.js';

const doc = readFileSync('docs/configuration.md', 'utf8');

describe('docs/configuration.md', () => {
  it('documents every app setting', () => {
    const missing = Object.keys(SETTINGS).filter((name) => !doc.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
  it('documents every runbook', () => {
    expect(runbookNames().filter((n) => !doc.includes(`| \`${n}\` |`))).toEqual([]);
  });
});
