// The function app's settings cover every setting the code reads: the list comes from
// src/config/settings.ts (SETTINGS, requiredInAzure / secret), not from a copy.
import { describe, expect, it } from 'vitest';
import type { Node } from 'web-tree-sitter';
import { SETTINGS, type SettingSpec } from '../../src/config/settings.js';
import { callArgs, callName, getPath, named, objectProperties, propertyKey, propertyValue, stringLiteral, type BicepModel } from './model.js';
import { loadProject } from './project.js';

/** Keys an app-settings expression always sets, may set (conditionally), and their value nodes. */
export interface SettingsShape {
  always: Set<string>;
  maybe: Set<string>;
  values: Map<string, Node[]>;
}

function merge(into: Map<string, Node[]>, from: Map<string, Node[]>): void {
  for (const [k, v] of from) into.set(k, [...(into.get(k) ?? []), ...v]);
}

/** Follows object literals, variables, union(...) and ternaries; anything else is an error. */
export function settingsShape(node: Node | undefined, m: BicepModel): SettingsShape {
  if (!node) throw new Error('no app settings expression');
  switch (node.type) {
    case 'object': {
      const shape: SettingsShape = { always: new Set(), maybe: new Set(), values: new Map() };
      for (const prop of objectProperties(node)) {
        const key = propertyKey(prop);
        const value = propertyValue(prop);
        if (key === undefined || !value) continue;
        shape.always.add(key);
        shape.values.set(key, [value]);
      }
      return shape;
    }
    case 'identifier': {
      const v = m.vars.get(node.text);
      if (!v) throw new Error(`app settings use "${node.text}", which is not a variable of ${m.path}; the check cannot see its keys`);
      return settingsShape(v.value, m);
    }
    case 'parenthesized_expression': {
      const inner = named(node);
      if (inner.length !== 1) break;
      return settingsShape(inner[0], m);
    }
    case 'call_expression': {
      if (callName(node) !== 'union') break;
      const shape: SettingsShape = { always: new Set(), maybe: new Set(), values: new Map() };
      for (const arg of callArgs(node)) {
        const s = settingsShape(arg, m);
        s.always.forEach((k) => shape.always.add(k));
        s.maybe.forEach((k) => shape.maybe.add(k));
        merge(shape.values, s.values);
      }
      for (const k of shape.always) shape.maybe.delete(k);
      return shape;
    }
    case 'ternary_expression': {
      const a = settingsShape(node.childForFieldName('consequence') ?? undefined, m);
      const b = settingsShape(node.childForFieldName('alternative') ?? undefined, m);
      const shape: SettingsShape = { always: new Set(), maybe: new Set(), values: new Map() };
      for (const k of [...a.always, ...a.maybe, ...b.always, ...b.maybe]) {
        if (a.always.has(k) && b.always.has(k)) shape.always.add(k);
        else shape.maybe.add(k);
      }
      merge(shape.values, a.values);
      merge(shape.values, b.values);
      return shape;
    }
    default:
      break;
  }
  throw new Error(`${m.path}:${node.startPosition.row + 1}: cannot analyse app settings expression "${node.text.slice(0, 80)}"`);
}

/**
 * Settings the Flex Consumption plan rejects or ignores (its runtime and deployment come from
 * functionAppConfig). learn.microsoft.com/azure/azure-functions/functions-app-settings (Flex
 * Consumption notes) and .../flex-consumption-plan#deprecated-properties-and-settings.
 */
export const FLEX_UNSUPPORTED_SETTINGS = [
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'FUNCTIONS_MAX_HTTP_CONCURRENCY',
  'FUNCTIONS_WORKER_PROCESS_COUNT',
  'FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTOVERVNET',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_SKIP_CONTENTSHARE_VALIDATION',
  'WEBSITE_VNET_ROUTE_ALL',
];

const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\((SecretUri=|VaultName=)/;

/** Problems of an app-settings shape against the settings spec of the code. */
export function checkAppSettings(spec: Record<string, SettingSpec>, shape: SettingsShape): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(spec)) {
    if (s.requiredInAzure && !shape.always.has(name)) {
      problems.push(
        shape.maybe.has(name)
          ? `${name} is required in Azure (src/config/settings.ts) but only set conditionally`
          : `${name} is required in Azure (src/config/settings.ts) but the function app does not set it. Fix: add it to the app settings in bicep/modules/functionapp.bicep`,
      );
    }
    if (s.secret) {
      for (const value of shape.values.get(name) ?? []) {
        const lit = value.type === 'string' ? value.text.replace(/^'/, '') : '';
        if (!KEY_VAULT_REFERENCE.test(lit)) {
          problems.push(`${name} is a secret (src/config/settings.ts) and must be a Key Vault reference (@Microsoft.KeyVault(...)), not ${value.text.slice(0, 60)}`);
        }
      }
    }
  }
  for (const name of FLEX_UNSUPPORTED_SETTINGS) {
    if (shape.always.has(name) || shape.maybe.has(name)) problems.push(`${name} is not supported on Flex Consumption (configure functionAppConfig instead)`);
  }
  for (const [name, values] of shape.values) {
    for (const v of values) {
      if (/AccountKey=|SharedAccessSignature=|sig=|listKeys\(|listSecrets\(/i.test(v.text)) problems.push(`${name} carries a key or SAS; use identity-based connections or a Key Vault reference`);
    }
  }
  return problems;
}

const project = await loadProject();
const fa = project.model('modules/functionapp.bicep');
const appSettings = fa.resources.find((r) => r.fullType === 'Microsoft.Web/sites/config' && stringLiteral(getPath(r.body, 'name')) === 'appsettings');
const shape = settingsShape(getPath(appSettings?.body, 'properties'), fa);

describe('function app settings', () => {
  it('sets every setting src/config/settings.ts marks requiredInAzure, secrets only as Key Vault references, nothing Flex rejects', () => {
    expect(appSettings).toBeDefined();
    expect(checkAppSettings(SETTINGS, shape)).toEqual([]);
    // The check follows the code: there are required settings and it found them all.
    const required = Object.entries(SETTINGS).filter(([, s]) => s.requiredInAzure).map(([n]) => n);
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(shape.always.has(name), name).toBe(true);
  });

  it('fails when the code starts reading a new required setting that Bicep does not set', () => {
    const grown: Record<string, SettingSpec> = { ...SETTINGS, BACKUP_CONTAINER: { description: 'x', requiredInAzure: true } };
    expect(checkAppSettings(grown, shape)).toEqual([expect.stringContaining('BACKUP_CONTAINER is required in Azure')]);
  });

  it('fails when a secret setting is a plain value, and when a required setting is only conditional', () => {
    const secretSpec: Record<string, SettingSpec> = { ALERTMANAGER_WEBHOOK_USERNAME: { description: 'x', secret: true, requiredInAzure: false } };
    expect(checkAppSettings(secretSpec, shape)).toEqual([expect.stringContaining('must be a Key Vault reference')]);
    const conditional: Record<string, SettingSpec> = { ALERTMANAGER_WEBHOOK_TOKEN: { description: 'x', requiredInAzure: true } };
    expect(checkAppSettings(conditional, shape)).toEqual([expect.stringContaining('only set conditionally')]);
  });

  it('uses identity-based host storage with the blob, queue and table service URIs Durable Functions needs', () => {
    for (const k of ['AzureWebJobsStorage__blobServiceUri', 'AzureWebJobsStorage__queueServiceUri', 'AzureWebJobsStorage__tableServiceUri', 'AzureWebJobsStorage__clientId']) {
      expect(shape.always.has(k), k).toBe(true);
    }
    expect(shape.values.get('AzureWebJobsStorage__credential')?.map((v) => v.text)).toEqual(["'managedidentity'"]);
    expect(shape.always.has('AzureWebJobsStorage') || shape.maybe.has('AzureWebJobsStorage')).toBe(false);
    expect(shape.values.get('AZURE_CLIENT_ID')?.map((v) => v.text)).toEqual(['identity.properties.clientId']);
    expect(shape.values.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')?.[0]?.text).toContain('Authorization=AAD');
    // settings.ts parses booleans; ARM's string(bool) would give 'True'/'False'.
    // Each backup stream stays under 200 MB peak RSS only with the smaller young generation (docs/benchmarks.md).
    expect(shape.values.get('languageWorkers__node__arguments')?.map((v) => v.text)).toEqual(["'--max-semi-space-size=2'"]);
    expect(shape.values.get('OPS_PAUSED')?.map((v) => v.text)).toEqual(["opsPaused ? 'true' : 'false'"]);
  });

  it('sets ALERTMANAGER_WEBHOOK_TOKEN and _PASSWORD only as Key Vault references, and only when a secret is named', () => {
    for (const k of ['ALERTMANAGER_WEBHOOK_TOKEN', 'ALERTMANAGER_WEBHOOK_PASSWORD']) {
      expect(shape.maybe.has(k), k).toBe(true);
      for (const v of shape.values.get(k) ?? []) expect(v.text).toMatch(/^'@Microsoft\.KeyVault\(VaultName=\$\{keyVaultName\};SecretName=/);
    }
  });

  it('passes every app-code setting through a parameter of main.bicep (nothing hard-wired in the module but platform settings)', () => {
    const main = project.model('main.bicep');
    const module = main.modules.find((m) => m.path === 'modules/functionapp.bicep');
    for (const p of ['opsConfigPath', 'opsPaused', 'taskHubName', 'auditTableName', 'controlTableName']) {
      expect(getPath(module?.body, `params.${p}`)?.text, p).toBe(p);
      expect(main.params.has(p), p).toBe(true);
    }
  });
});
