// Every .bicep and .bicepparam file of the repository parses with the tree-sitter Bicep grammar.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listBicepFiles } from './lint.js';
import { fileKind, getParser, parseBicep } from './parser.js';
import { bicepDir } from './project.js';

const files = listBicepFiles(bicepDir);

describe('tree-sitter Bicep grammar', () => {
  it('finds the templates: main, the ten modules, types, and the four parameter files', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'main.bicep',
        'main.bicepparam',
        'types.bicep',
        'env/dev.bicepparam',
        'env/staging.bicepparam',
        'env/prod.bicepparam',
        ...['network', 'monitoring', 'aks', 'acr', 'keyvault', 'storage-backup', 'functionapp', 'eventgrid', 'budgets', 'roles'].map((m) => `modules/${m}.bicep`),
      ]),
    );
  });

  it('loads the wasm grammar shipped in the tree-sitter-bicep package (ABI 14)', async () => {
    const parser = await getParser();
    expect(parser.language?.abiVersion).toBe(14);
  });

  it.each(files)('%s parses without syntax errors', async (file) => {
    const parsed = await parseBicep(readFileSync(join(bicepDir, file), 'utf8'), fileKind(file));
    expect(parsed.syntaxProblems).toEqual([]);
    expect(parsed.root.hasError).toBe(false);
  });

  it('catches syntax errors (a parse can fail)', async () => {
    const bad = await parseBicep("param location string = \nresource x 'A/b@1' = {\n  name: 'x'\n", 'bicep');
    expect(bad.syntaxProblems.length).toBeGreaterThan(0);
    const badParams = await parseBicep("using 'main.bicep'\nparam a = [1, \n", 'bicepparam');
    expect(badParams.syntaxProblems.length).toBeGreaterThan(0);
  });

  it('parses parameter-file assignments through the documented param -> var rewrite only', async () => {
    const text = "using 'main.bicep'\nparam tags = {\n  env: 'dev'\n}\nparam n = readEnvironmentVariable('N', '3')\n";
    // The grammar alone has no `param name = value` form (tree-sitter-bicep 1.1.0).
    const parser = await getParser();
    const raw = parser.parse(text);
    expect(raw?.rootNode.hasError).toBe(true);
    const parsed = await parseBicep(text, 'bicepparam');
    expect(parsed.syntaxProblems).toEqual([]);
    expect(parsed.parsedText.length).toBe(text.length);
    expect(parsed.paramAssignmentOffsets).toHaveLength(2);
    // A typed declaration is not a parameter-file assignment and stays an error.
    const typed = await parseBicep("using 'main.bicep'\nparam n int = 3\n", 'bicepparam');
    expect(typed.syntaxProblems.length).toBeGreaterThan(0);
  });
});
