// The project lint: the repository's templates are clean, and each rule catches a bad snippet
// (so the lint can fail).
import { describe, expect, it } from 'vitest';
import { formatProblems, lintFiles, readApiVersions, type LintProblem } from './lint.js';
import { bicepDir, loadProject } from './project.js';

const apiVersions = readApiVersions(bicepDir);

async function lint(files: Record<string, string>): Promise<LintProblem[]> {
  const { problems } = await lintFiles(new Map(Object.entries(files)), { apiVersions });
  return problems;
}

function rules(problems: LintProblem[]): string[] {
  return [...new Set(problems.map((p) => p.rule))].sort();
}

const goodModule = `@description('Region.')
param location string

@description('Tags.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-x'
  location: location
  tags: tags
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv-x'
}

resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

@description('Name.')
output name string = identity.name
`;

const goodMain = `targetScope = 'resourceGroup'

@description('Region.')
param location string = resourceGroup().location

module m 'mod.bicep' = {
  name: 'm'
  params: {
    location: location
    tags: {}
  }
}
`;

describe('bicep lint', () => {
  it('finds no problem in bicep/', async () => {
    const { problems } = await loadProject();
    expect(formatProblems(problems)).toBe('');
  });

  it('accepts a clean snippet (the bad snippets below differ from it in one place each)', async () => {
    expect(formatProblems(await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule }))).toBe('');
  });

  it('flags a parameter without @description', async () => {
    const p = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule.replace("@description('Tags.')\n", '') });
    expect(rules(p)).toEqual(['param-description']);
    expect(p[0]!.message).toContain('"tags"');
  });

  it('flags a hard-coded location, in a property and as a parameter default', async () => {
    const inProperty = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule.replace('location: location', "location: 'westeurope'") });
    expect(rules(inProperty)).toEqual(['no-hardcoded-location']);
    const asDefault = await lint({ 'main.bicep': goodMain.replace('resourceGroup().location', "'West Europe'"), 'mod.bicep': goodModule });
    expect(rules(asDefault)).toEqual(['no-hardcoded-location']);
    const nonRegion = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule.replace('location: location', "location: 'somewhere'") });
    expect(rules(nonRegion)).toEqual(['no-hardcoded-location']);
  });

  it("allows location 'global' (action groups, private DNS zones)", async () => {
    const p = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule.replace('location: location', "location: 'global'") });
    expect(p).toEqual([]);
  });

  it('flags a secret-looking parameter without @secure() and an output that leaks keys', async () => {
    const secret = await lint({
      'main.bicep': goodMain,
      'mod.bicep': `${goodModule}\n@description('Admin password.')\nparam adminPassword string = ''\n`,
    });
    expect(rules(secret)).toEqual(['secure-params']);
    const notSecret = await lint({
      'main.bicep': goodMain,
      'mod.bicep': `${goodModule}\n@description('Name of the Key Vault secret holding the token.')\nparam webhookTokenSecretName string = ''\n`,
    });
    expect(notSecret).toEqual([]);
    const leak = await lint({
      'main.bicep': goodMain,
      'mod.bicep': `${goodModule}\n@description('Key.')\noutput key string = listKeys(identity.id, '2023-01-31').key\n`,
    });
    expect(rules(leak)).toEqual(['no-secret-outputs']);
  });

  it('flags a role assignment not named with guid(...) or without principalType', async () => {
    const noGuid = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule.replace(/name: guid\([^\n]*\)/, "name: 'my-assignment'") });
    expect(rules(noGuid)).toEqual(['role-assignment-guid']);
    const noType = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule.replace("    principalType: 'ServicePrincipal'\n", '') });
    expect(rules(noType)).toEqual(['role-assignment-guid']);
  });

  it('flags a parameter passed to a module that does not declare it, a missing required one and a missing module', async () => {
    const unknown = await lint({ 'main.bicep': goodMain.replace('    tags: {}\n', '    tags: {}\n    sku: \'Standard\'\n'), 'mod.bicep': goodModule });
    expect(rules(unknown)).toEqual(['module-params']);
    expect(unknown[0]!.message).toContain('"sku"');
    const missing = await lint({ 'main.bicep': goodMain.replace('    tags: {}\n', ''), 'mod.bicep': goodModule });
    expect(rules(missing)).toEqual(['module-params']);
    expect(missing[0]!.message).toContain('"tags"');
    const noFile = await lint({ 'main.bicep': goodMain.replace("'mod.bicep'", "'modules/nope.bicep'"), 'mod.bicep': goodModule });
    expect(rules(noFile)).toEqual(['module-params']);
  });

  it('flags an API version that is not in bicep/api-versions.json', async () => {
    const p = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule.replace('userAssignedIdentities@2023-01-31', 'userAssignedIdentities@2018-11-30') });
    expect(rules(p)).toEqual(['api-versions']);
    expect(p[0]!.message).toContain('2018-11-30');
  });

  it('flags a resource without tags', async () => {
    const p = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule.replace('  tags: tags\n', '') });
    expect(rules(p)).toEqual(['tags']);
  });

  it('flags syntax errors', async () => {
    const p = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule.replace("name: 'id-x'", "name: 'id-x' +") });
    expect(rules(p)).toContain('syntax');
  });

  it('checks parameter files: using target, declared parameters, required parameters', async () => {
    const ok = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule, 'dev.bicepparam': "using 'main.bicep'\nparam location = resourceGroup().location\n" });
    expect(ok).toEqual([]);
    const undeclared = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule, 'dev.bicepparam': "using 'main.bicep'\nparam size = 3\n" });
    expect(rules(undeclared)).toEqual(['module-params']);
    const typed = await lint({ 'main.bicep': goodMain, 'mod.bicep': goodModule, 'dev.bicepparam': "using 'main.bicep'\nparam location string = 'x'\n" });
    expect(rules(typed)).toContain('syntax');
  });
});
