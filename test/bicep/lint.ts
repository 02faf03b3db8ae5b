// Project lint for the Bicep templates, over the tree-sitter parse (parser.ts, model.ts).
// Runs without Azure and without the Bicep CLI. Rules (docs/decisions/0004-bicep-checks.md):
//   syntax                  the file parses with the tree-sitter Bicep grammar
//   param-description       every parameter has @description
//   no-hardcoded-location   no region literal; `location:` only from parameters (or 'global')
//   secure-params           secret-looking parameters are @secure() and have no literal default
//   no-secret-outputs       outputs expose no list*() result and no @secure() parameter
//   module-params           module/import/using paths exist; passed params are declared; required params are passed
//   role-assignment-guid    role assignments are named guid(scope, principal, role) and set principalType
//   api-versions            type@version of every resource (and listKeys/reference version) is in bicep/api-versions.json
//   tags                    every top-level resource that takes tags gets them
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import type { Node } from 'web-tree-sitter';
import {
  buildModel,
  callArgs,
  callName,
  descendants,
  getProperty,
  hasDecorator,
  lineOf,
  stringLiteral,
  type BicepModel,
} from './model.js';
import { fileKind, parseBicep } from './parser.js';

export interface LintProblem {
  file: string;
  line: number;
  rule: string;
  message: string;
}

export interface ApiVersionList {
  types: Record<string, { versions: string[]; source?: string }>;
}

/** Azure region names (programmatic and display form, lower case without spaces). */
export const AZURE_REGIONS = new Set([
  'eastus', 'eastus2', 'westus', 'westus2', 'westus3', 'centralus', 'northcentralus', 'southcentralus',
  'westcentralus', 'canadacentral', 'canadaeast', 'brazilsouth', 'brazilsoutheast', 'mexicocentral',
  'northeurope', 'westeurope', 'uksouth', 'ukwest', 'francecentral', 'francesouth', 'germanywestcentral',
  'germanynorth', 'norwayeast', 'norwaywest', 'switzerlandnorth', 'switzerlandwest', 'swedencentral',
  'swedensouth', 'polandcentral', 'italynorth', 'spaincentral', 'austriaeast', 'belgiumcentral',
  'uaenorth', 'uaecentral', 'qatarcentral', 'israelcentral', 'southafricanorth', 'southafricawest',
  'australiaeast', 'australiasoutheast', 'australiacentral', 'australiacentral2', 'newzealandnorth',
  'centralindia', 'southindia', 'westindia', 'jioindiawest', 'jioindiacentral', 'japaneast', 'japanwest',
  'koreacentral', 'koreasouth', 'eastasia', 'southeastasia', 'indonesiacentral', 'malaysiawest',
  'chilecentral', 'taiwannorth', 'eastus2euap', 'centraluseuap', 'usgovvirginia', 'usgovarizona',
  'usgovtexas', 'chinanorth', 'chinanorth2', 'chinanorth3', 'chinaeast', 'chinaeast2', 'chinaeast3',
]);

/** Resource types that take no tags (or are extension/child resources that inherit none). */
export const UNTAGGED_TYPES = new Set([
  'Microsoft.Authorization/roleAssignments',
  'Microsoft.Authorization/roleDefinitions',
  'Microsoft.Insights/diagnosticSettings',
  'Microsoft.Insights/dataCollectionRuleAssociations',
  'Microsoft.Consumption/budgets',
]);

const SECRET_NAME = /(password|secret|token|apikey|accesskey|accountkey|connectionstring|credential|sastoken|privatekey)/i;
const REFERENCE_SUFFIX = /(Name|Names|Id|Ids|Uri|Url|Path|Days|Count|Enabled|Setting|Settings)$/;
/** Names that contain a secret word but hold no secret (a naming token is public). */
const NOT_SECRET = /^(resource|unique|naming)Token$/i;
const LIST_CALL = /^(list[A-Za-z]*|listKeys|listSecrets)$/;

export interface LintOptions {
  apiVersions: ApiVersionList;
}

type Files = Map<string, string>;

function problem(file: string, line: number, rule: string, message: string): LintProblem {
  return { file, line, rule, message };
}

function resolvePath(fromFile: string, rel: string): string {
  return posix.normalize(posix.join(posix.dirname(fromFile), rel));
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

function checkDescriptions(m: BicepModel, out: LintProblem[]): void {
  if (m.kind !== 'bicep') return;
  for (const p of m.params.values()) {
    if (!hasDecorator(p, 'description')) {
      out.push(problem(m.path, p.line, 'param-description', `parameter "${p.name}" has no @description. Fix: add @description('what it controls') above it`));
    }
  }
}

function isRegionLiteral(s: string): boolean {
  return AZURE_REGIONS.has(s.toLowerCase().replace(/\s+/g, ''));
}

function checkLocations(m: BicepModel, out: LintProblem[]): void {
  const flagged = new Set<number>();
  for (const n of descendants(m.parsed.root)) {
    if (n.type === 'string') {
      const s = stringLiteral(n);
      if (s !== undefined && isRegionLiteral(s)) {
        flagged.add(n.startIndex);
        out.push(problem(m.path, lineOf(n), 'no-hardcoded-location', `region "${s}" is hard-coded. Fix: take it from the location parameter (deployment().location or resourceGroup().location by default)`));
      }
    }
    if (n.type === 'object_property') {
      const key = named0(n);
      const value = n.namedChildren.at(-1);
      if (key === 'location' && value?.type === 'string' && !flagged.has(value.startIndex)) {
        const s = stringLiteral(value);
        if (s === undefined || s.toLowerCase() !== 'global') {
          out.push(problem(m.path, lineOf(value), 'no-hardcoded-location', `location is the literal ${value.text}. Fix: use the location parameter ('global' is the only allowed literal)`));
        }
      }
    }
  }
  const loc = m.params.get('location');
  if (loc?.defaultValue?.type === 'string' && !flagged.has(loc.defaultValue.startIndex)) {
    out.push(problem(m.path, loc.line, 'no-hardcoded-location', `parameter location defaults to the literal ${loc.defaultValue.text}. Fix: default to deployment().location or resourceGroup().location`));
  }
}

function named0(prop: Node): string | undefined {
  const first = prop.namedChildren[0];
  if (!first || first.type === 'resource_declaration') return undefined;
  return first.type === 'string' ? stringLiteral(first) : first.text;
}

function checkSecureParams(m: BicepModel, out: LintProblem[]): void {
  if (m.kind !== 'bicep') return;
  for (const p of m.params.values()) {
    const looksSecret = SECRET_NAME.test(p.name) && !REFERENCE_SUFFIX.test(p.name) && !NOT_SECRET.test(p.name);
    const isStringish = /^(string|object|secureString|secureObject)\??$/.test(p.typeText);
    if (looksSecret && isStringish && !hasDecorator(p, 'secure')) {
      out.push(problem(m.path, p.line, 'secure-params', `parameter "${p.name}" looks like a secret but is not @secure(). Fix: add @secure() (its value is then kept out of logs and deployment history)`));
    }
    if (hasDecorator(p, 'secure') && p.defaultValue) {
      const lit = stringLiteral(p.defaultValue);
      if (lit !== undefined && lit !== '') {
        out.push(problem(m.path, p.line, 'secure-params', `@secure() parameter "${p.name}" has a literal default. Fix: remove the default; pass the value at deployment or use a Key Vault reference`));
      }
    }
  }
}

function checkOutputs(m: BicepModel, out: LintProblem[]): void {
  const secureParams = new Set([...m.params.values()].filter((p) => hasDecorator(p, 'secure')).map((p) => p.name));
  for (const o of m.outputs.values()) {
    const nodes = [o.value, ...descendants(o.value)];
    for (const n of nodes) {
      const name = callName(n);
      const fnName = name?.split('.').at(-1);
      if (fnName && LIST_CALL.test(fnName)) {
        out.push(problem(m.path, o.line, 'no-secret-outputs', `output "${o.name}" exposes ${fnName}(). Fix: keep keys inside the template (deployment outputs are readable by anyone with read access to the deployment)`));
        break;
      }
      if (n.type === 'identifier' && secureParams.has(n.text)) {
        out.push(problem(m.path, o.line, 'no-secret-outputs', `output "${o.name}" exposes the @secure() parameter "${n.text}". Fix: do not output secrets`));
        break;
      }
    }
  }
}

function checkModules(m: BicepModel, models: Map<string, BicepModel>, files: Files, out: LintProblem[]): void {
  for (const mod of m.modules) {
    if (/^(br|ts)[:/]/.test(mod.path)) continue; // registry modules: resolved by the Bicep CLI
    const target = resolvePath(m.path, mod.path);
    const tm = models.get(target);
    if (!files.has(target) || !tm) {
      out.push(problem(m.path, mod.line, 'module-params', `module "${mod.name}": ${mod.path} does not exist (resolved to ${target})`));
      continue;
    }
    const paramsNode = getProperty(mod.body, 'params');
    const passed = new Set<string>();
    if (paramsNode && paramsNode.type === 'object') {
      for (const prop of paramsNode.namedChildren) {
        if (!prop || prop.type !== 'object_property') continue;
        const key = named0(prop);
        if (!key) continue;
        passed.add(key);
        if (!tm.params.has(key)) {
          out.push(problem(m.path, lineOf(prop), 'module-params', `module "${mod.name}" passes "${key}", which ${mod.path} does not declare. Fix: declare it there or stop passing it (declared: ${[...tm.params.keys()].join(', ')})`));
        }
      }
    }
    for (const p of tm.params.values()) {
      const optional = p.defaultValue !== undefined || p.typeText.endsWith('?');
      if (!optional && !passed.has(p.name)) {
        out.push(problem(m.path, mod.line, 'module-params', `module "${mod.name}" does not pass required parameter "${p.name}" of ${mod.path}`));
      }
    }
  }
  for (const imp of m.imports) {
    const target = resolvePath(m.path, imp.path);
    const tm = models.get(target);
    if (!tm) {
      out.push(problem(m.path, imp.line, 'module-params', `import: ${imp.path} does not exist (resolved to ${target})`));
      continue;
    }
    for (const name of imp.names) {
      const t = tm.types.get(name);
      if (!t || !t.exported) out.push(problem(m.path, imp.line, 'module-params', `import: ${imp.path} exports no type "${name}" (@export() type ${name} = ...)`));
    }
  }
  if (m.kind === 'bicepparam') {
    if (!m.using) {
      out.push(problem(m.path, 1, 'module-params', 'parameter file has no `using` statement'));
      return;
    }
    const target = resolvePath(m.path, m.using);
    const tm = models.get(target);
    if (!tm) {
      out.push(problem(m.path, 1, 'module-params', `using: ${m.using} does not exist (resolved to ${target})`));
      return;
    }
    for (const a of m.assignments.values()) {
      if (!tm.params.has(a.name)) {
        out.push(problem(m.path, a.line, 'module-params', `parameter "${a.name}" is not declared in ${m.using}`));
      }
    }
    for (const p of tm.params.values()) {
      const optional = p.defaultValue !== undefined || p.typeText.endsWith('?');
      if (!optional && !m.assignments.has(p.name)) {
        out.push(problem(m.path, 1, 'module-params', `required parameter "${p.name}" of ${m.using} is not set`));
      }
    }
  }
}

function checkRoleAssignments(m: BicepModel, out: LintProblem[]): void {
  for (const r of m.resources) {
    if (r.fullType !== 'Microsoft.Authorization/roleAssignments' || r.existing) continue;
    const name = getProperty(r.body, 'name');
    if (callName(name) !== 'guid') {
      out.push(problem(m.path, r.line, 'role-assignment-guid', `role assignment "${r.name}" is not named with guid(...). Fix: name: guid(scope.id, principalId, roleDefinitionId)`));
    } else if (name && callArgs(name).length < 3) {
      out.push(problem(m.path, r.line, 'role-assignment-guid', `role assignment "${r.name}": guid() should combine scope, principal and role (3 arguments)`));
    }
    const props = getProperty(r.body, 'properties');
    if (!getProperty(props, 'principalType')) {
      out.push(problem(m.path, r.line, 'role-assignment-guid', `role assignment "${r.name}" does not set principalType. Fix: principalType: 'ServicePrincipal' (or 'Group', 'User')`));
    }
  }
}

function checkApiVersions(m: BicepModel, opts: LintOptions, out: LintProblem[]): void {
  const list = opts.apiVersions.types;
  for (const r of m.resources) {
    if (!r.typeString.includes('@')) {
      if (!r.parent) out.push(problem(m.path, r.line, 'api-versions', `resource "${r.name}" has no API version in '${r.typeString}'`));
      continue;
    }
    const allowed = list[r.fullType]?.versions ?? [];
    if (!allowed.includes(r.apiVersion ?? '')) {
      out.push(problem(m.path, r.line, 'api-versions', `${r.fullType}@${r.apiVersion} is not in bicep/api-versions.json${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}. Fix: use a listed version, or add this one after checking its REST spec`));
    }
  }
  const allVersions = new Set(Object.values(list).flatMap((t) => t.versions));
  for (const n of descendants(m.parsed.root)) {
    const fn = callName(n);
    if (!fn || !(LIST_CALL.test(fn) || fn === 'reference')) continue;
    const v = callArgs(n)[1];
    const lit = stringLiteral(v);
    if (lit && /^\d{4}-\d{2}-\d{2}/.test(lit) && !allVersions.has(lit)) {
      out.push(problem(m.path, lineOf(n), 'api-versions', `${fn}() uses API version ${lit}, which bicep/api-versions.json does not list`));
    }
  }
}

function checkTags(m: BicepModel, out: LintProblem[]): void {
  for (const r of m.resources) {
    if (r.existing || r.parent || UNTAGGED_TYPES.has(r.fullType)) continue;
    if (!getProperty(r.body, 'tags')) {
      out.push(problem(m.path, r.line, 'tags', `resource "${r.name}" (${r.fullType}) has no tags. Fix: tags: tags`));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/** Lints a set of files given as path -> text (paths posix, relative to one root). */
export async function lintFiles(files: Files, opts: LintOptions): Promise<{ problems: LintProblem[]; models: Map<string, BicepModel> }> {
  const models = new Map<string, BicepModel>();
  const problems: LintProblem[] = [];
  for (const [path, text] of files) {
    const parsed = await parseBicep(text, fileKind(path));
    for (const s of parsed.syntaxProblems) problems.push(problem(path, s.line, 'syntax', s.message));
    models.set(path, buildModel(path, text, parsed));
  }
  for (const m of models.values()) {
    checkDescriptions(m, problems);
    checkLocations(m, problems);
    checkSecureParams(m, problems);
    checkOutputs(m, problems);
    checkModules(m, models, files, problems);
    checkRoleAssignments(m, problems);
    checkApiVersions(m, opts, problems);
    checkTags(m, problems);
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return { problems, models };
}

/** Every .bicep and .bicepparam file under dir, as paths relative to dir (posix). */
export function listBicepFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.bicep') || name.endsWith('.bicepparam')) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export function readApiVersions(bicepDir: string): ApiVersionList {
  return JSON.parse(readFileSync(join(bicepDir, 'api-versions.json'), 'utf8')) as ApiVersionList;
}

/** Lints every template under bicepDir (bicep/ of the repository). */
export async function lintProject(bicepDir: string): Promise<{ problems: LintProblem[]; models: Map<string, BicepModel> }> {
  const files: Files = new Map();
  for (const rel of listBicepFiles(bicepDir)) files.set(rel, readFileSync(join(bicepDir, rel), 'utf8'));
  return lintFiles(files, { apiVersions: readApiVersions(bicepDir) });
}

export function formatProblems(problems: LintProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line} [${p.rule}] ${p.message}`).join('\n');
}
