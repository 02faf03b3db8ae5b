// A small model of a parsed Bicep file (declarations, their decorators and bodies) and an
// evaluator for the literal parts of expressions. The lint (lint.ts) and the estate tests read
// templates through it instead of with regular expressions.
import type { Node } from 'web-tree-sitter';
import { parseBicep, fileKind, type BicepFileKind, type ParsedBicep } from './parser.js';

export interface Decorator {
  name: string;
  args: Node[];
  node: Node;
}

interface Declared {
  name: string;
  node: Node;
  line: number;
  decorators: Decorator[];
}

export interface ParamDecl extends Declared {
  typeText: string;
  defaultValue: Node | undefined;
}

export interface VarDecl extends Declared {
  value: Node;
}

export interface OutputDecl extends Declared {
  typeText: string;
  value: Node;
}

export interface TypeDecl extends Declared {
  exported: boolean;
}

export interface ResourceDecl extends Declared {
  /** The type string as written: 'Microsoft.X/y@2024-01-01' or, nested, 'children'. */
  typeString: string;
  /** Fully qualified type without version (nested types resolved against the parent). */
  fullType: string;
  apiVersion: string | undefined;
  existing: boolean;
  /** The object body (inside if/for when present). */
  body: Node | undefined;
  condition: Node | undefined;
  loop: Node | undefined;
  parent: ResourceDecl | undefined;
}

export interface ModuleDecl extends Declared {
  path: string;
  body: Node | undefined;
  condition: Node | undefined;
  loop: Node | undefined;
}

export interface ImportDecl {
  path: string;
  names: string[];
  node: Node;
  line: number;
}

export interface ParamAssignment {
  name: string;
  value: Node;
  node: Node;
  line: number;
}

export interface BicepModel {
  path: string;
  kind: BicepFileKind;
  text: string;
  parsed: ParsedBicep;
  targetScope: string;
  params: Map<string, ParamDecl>;
  vars: Map<string, VarDecl>;
  outputs: Map<string, OutputDecl>;
  types: Map<string, TypeDecl>;
  resources: ResourceDecl[];
  modules: ModuleDecl[];
  imports: ImportDecl[];
  /** .bicepparam only. */
  using: string | undefined;
  assignments: Map<string, ParamAssignment>;
}

// ---------------------------------------------------------------------------------------------
// Node helpers
// ---------------------------------------------------------------------------------------------

export function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

export function named(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null);
}

function firstNamed(node: Node, type: string): Node | undefined {
  return named(node).find((c) => c.type === type);
}

/** Literal text of a string node without interpolation; undefined when it interpolates. */
export function stringLiteral(node: Node | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  let out = '';
  for (const child of named(node)) {
    if (child.type === 'string_content') out += child.text;
    else if (child.type === 'escape_sequence') out += unescape(child.text);
    else return undefined;
  }
  if (named(node).length === 0 && node.text.startsWith("'''")) return '';
  return out;
}

function unescape(seq: string): string {
  const c = seq.slice(1);
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case '$':
      return '$';
    default:
      if (c.startsWith('u{')) return String.fromCodePoint(parseInt(c.slice(2, -1), 16));
      return c;
  }
}

/** Key of an object_property, or undefined for a nested resource declaration. */
export function propertyKey(prop: Node): string | undefined {
  const first = named(prop)[0];
  if (!first || first.type === 'resource_declaration') return undefined;
  if (first.type === 'string') return stringLiteral(first);
  if (first.type === 'compatible_identifier') return first.text.replace(/\?$/, '');
  return first.text;
}

/** Value node of an object_property. */
export function propertyValue(prop: Node): Node | undefined {
  const children = named(prop);
  return children.length >= 2 ? children[children.length - 1] : undefined;
}

export function objectProperties(obj: Node | undefined): Node[] {
  if (!obj || obj.type !== 'object') return [];
  return named(obj).filter((c) => c.type === 'object_property');
}

/** The value node of property `key` of an object node. */
export function getProperty(obj: Node | undefined, key: string): Node | undefined {
  for (const prop of objectProperties(obj)) {
    if (propertyKey(prop) === key) return propertyValue(prop);
  }
  return undefined;
}

/** getProperty along a dotted path: getPath(body, 'properties.networkProfile.networkPlugin'). */
export function getPath(obj: Node | undefined, path: string): Node | undefined {
  let cur: Node | undefined = obj;
  for (const key of path.split('.')) {
    cur = unwrapBody(cur);
    cur = getProperty(cur, key);
    if (!cur) return undefined;
  }
  return cur;
}

/** The object inside `if (...) {}` or `[for ...: {}]`, or the node itself. */
export function unwrapBody(node: Node | undefined): Node | undefined {
  if (!node) return undefined;
  if (node.type === 'if_statement') return firstNamed(node, 'object');
  if (node.type === 'for_statement') {
    const body = node.childForFieldName('body') ?? named(node).at(-1);
    return unwrapBody(body ?? undefined);
  }
  return node;
}

export function callName(node: Node | undefined): string | undefined {
  if (!node || node.type !== 'call_expression') return undefined;
  const fn = node.childForFieldName('function');
  return fn?.text;
}

export function callArgs(node: Node): Node[] {
  const args = node.childForFieldName('arguments');
  return args ? named(args) : [];
}

/** Every descendant (named nodes), depth first. */
export function descendants(node: Node): Node[] {
  const out: Node[] = [];
  const visit = (n: Node): void => {
    for (const c of named(n)) {
      out.push(c);
      visit(c);
    }
  };
  visit(node);
  return out;
}

function decoratorsBefore(statements: Node[], index: number): Decorator[] {
  const prev = statements[index - 1];
  if (!prev || prev.type !== 'decorators') return [];
  return readDecorators(prev);
}

export function readDecorators(decoratorsNode: Node): Decorator[] {
  return named(decoratorsNode)
    .filter((d) => d.type === 'decorator')
    .flatMap((d) => {
      const call = firstNamed(d, 'call_expression');
      if (!call) return [];
      const name = (call.childForFieldName('function')?.text ?? '').replace(/^sys\./, '');
      return [{ name, args: callArgs(call), node: d }];
    });
}

export function hasDecorator(decl: { decorators: Decorator[] }, name: string): boolean {
  return decl.decorators.some((d) => d.name === name);
}

export function decoratorArg(decl: { decorators: Decorator[] }, name: string): Node | undefined {
  return decl.decorators.find((d) => d.name === name)?.args[0];
}

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

function bodyOf(node: Node): { body: Node | undefined; condition: Node | undefined; loop: Node | undefined } {
  const value = named(node).at(-1);
  if (!value) return { body: undefined, condition: undefined, loop: undefined };
  if (value.type === 'if_statement') {
    return { body: firstNamed(value, 'object'), condition: firstNamed(value, 'parenthesized_expression'), loop: undefined };
  }
  if (value.type === 'for_statement') {
    const inner = value.childForFieldName('body') ?? named(value).at(-1) ?? undefined;
    if (inner?.type === 'if_statement') {
      return { body: firstNamed(inner, 'object'), condition: firstNamed(inner, 'parenthesized_expression'), loop: value };
    }
    return { body: inner?.type === 'object' ? inner : undefined, condition: undefined, loop: value };
  }
  return { body: value.type === 'object' ? value : undefined, condition: undefined, loop: undefined };
}

function readResource(node: Node, decorators: Decorator[], parent: ResourceDecl | undefined, out: ResourceDecl[]): void {
  const ids = named(node);
  const symbol = ids.find((c) => c.type === 'identifier')?.text ?? '';
  const typeString = stringLiteral(ids.find((c) => c.type === 'string')) ?? '';
  const [typePart, version] = typeString.split('@') as [string, string | undefined];
  const fullType = typePart.includes('/') || !parent ? typePart : `${parent.fullType}/${typePart}`;
  const existing = node.children.some((c) => c?.type === 'existing');
  const { body, condition, loop } = bodyOf(node);
  const decl: ResourceDecl = {
    name: symbol,
    node,
    line: lineOf(node),
    decorators,
    typeString,
    fullType,
    apiVersion: version,
    existing,
    body,
    condition,
    loop,
    parent,
  };
  out.push(decl);
  // Nested child resources.
  if (body) {
    let pending: Decorator[] = [];
    for (const child of named(body)) {
      if (child.type === 'decorators') {
        pending = readDecorators(child);
        continue;
      }
      if (child.type === 'object_property') {
        const nested = named(child)[0];
        if (nested?.type === 'resource_declaration') readResource(nested, pending, decl, out);
      }
      pending = [];
    }
  }
}

export function buildModel(path: string, text: string, parsed: ParsedBicep): BicepModel {
  const model: BicepModel = {
    path,
    kind: parsed.kind,
    text,
    parsed,
    targetScope: 'resourceGroup',
    params: new Map(),
    vars: new Map(),
    outputs: new Map(),
    types: new Map(),
    resources: [],
    modules: [],
    imports: [],
    using: undefined,
    assignments: new Map(),
  };
  const assignmentOffsets = new Set(parsed.paramAssignmentOffsets);
  const statements = named(parsed.root);
  statements.forEach((stmt, i) => {
    const decorators = decoratorsBefore(statements, i);
    const children = named(stmt);
    const ident = children.find((c) => c.type === 'identifier');
    const name = ident?.text ?? '';
    const base = { name, node: stmt, line: lineOf(stmt), decorators };
    switch (stmt.type) {
      case 'target_scope_assignment':
        model.targetScope = stringLiteral(children.find((c) => c.type === 'string')) ?? model.targetScope;
        break;
      case 'using_statement':
        model.using = stringLiteral(children.find((c) => c.type === 'string'));
        break;
      case 'import_functionality': {
        const pathNode = children.find((c) => c.type === 'string');
        model.imports.push({
          path: stringLiteral(pathNode) ?? '',
          names: children.filter((c) => c.type === 'identifier').map((c) => c.text),
          node: stmt,
          line: lineOf(stmt),
        });
        break;
      }
      case 'parameter_declaration': {
        const typeNode = children.find((c) => c.type === 'type');
        const idx = typeNode ? children.indexOf(typeNode) : -1;
        model.params.set(name, { ...base, typeText: typeNode?.text ?? '', defaultValue: idx >= 0 ? children[idx + 1] : undefined });
        break;
      }
      case 'variable_declaration': {
        const value = children[children.length - 1];
        if (!value) break;
        if (model.kind === 'bicepparam' && assignmentOffsets.has(stmt.startIndex)) {
          model.assignments.set(name, { name, value, node: stmt, line: lineOf(stmt) });
        } else {
          model.vars.set(name, { ...base, value });
        }
        break;
      }
      case 'output_declaration': {
        const typeNode = children.find((c) => c.type === 'type');
        const value = children[children.length - 1];
        if (value) model.outputs.set(name, { ...base, typeText: typeNode?.text ?? '', value });
        break;
      }
      case 'type_declaration':
        model.types.set(name, { ...base, exported: decorators.some((d) => d.name === 'export') });
        break;
      case 'resource_declaration':
        readResource(stmt, decorators, undefined, model.resources);
        break;
      case 'module_declaration': {
        const { body, condition, loop } = bodyOf(stmt);
        model.modules.push({ ...base, path: stringLiteral(children.find((c) => c.type === 'string')) ?? '', body, condition, loop });
        break;
      }
      default:
        break;
    }
  });
  return model;
}

export async function loadModel(path: string, text: string): Promise<BicepModel> {
  const parsed = await parseBicep(text, fileKind(path));
  return buildModel(path, text, parsed);
}

// ---------------------------------------------------------------------------------------------
// Evaluation of literal expressions
// ---------------------------------------------------------------------------------------------

/** A value the evaluator could not compute (a runtime reference, a function call, ...). */
export class Unknown {
  constructor(readonly text: string) {}
  toString(): string {
    return `<${this.text}>`;
  }
}

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value } | Unknown;

export interface EvalScope {
  model: BicepModel;
  /** Parameter values (defaults overridden by a parameter file), when known. */
  paramValues?: Map<string, Value>;
}

/** Evaluates literals, arrays, objects, parameter defaults, variables, member access, unary minus and !, ternaries and ==/!= of scalars. */
export function evaluate(node: Node | undefined, scope: EvalScope, depth = 0): Value {
  if (!node) return new Unknown('');
  if (depth > 50) return new Unknown(node.text);
  switch (node.type) {
    case 'string': {
      const s = stringLiteral(node);
      return s === undefined ? new Unknown(node.text) : s;
    }
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    case 'array':
      return named(node)
        .filter((c) => c.type !== 'decorators')
        .map((c) => evaluate(c, scope, depth + 1));
    case 'object': {
      const out: { [key: string]: Value } = {};
      for (const prop of objectProperties(node)) {
        const key = propertyKey(prop);
        if (key === undefined) continue;
        out[key] = evaluate(propertyValue(prop), scope, depth + 1);
      }
      return out;
    }
    case 'parenthesized_expression': {
      const inner = named(node);
      return inner.length === 1 ? evaluate(inner[0], scope, depth + 1) : new Unknown(node.text);
    }
    case 'unary_expression': {
      const arg = node.childForFieldName('argument');
      const op = node.childForFieldName('operator')?.text;
      const v = evaluate(arg ?? undefined, scope, depth + 1);
      if (op === '-' && typeof v === 'number') return -v;
      if (op === '!' && typeof v === 'boolean') return !v;
      return new Unknown(node.text);
    }
    case 'identifier': {
      const name = node.text;
      if (scope.paramValues?.has(name)) return scope.paramValues.get(name)!;
      const param = scope.model.params.get(name);
      if (param) return param.defaultValue ? evaluate(param.defaultValue, scope, depth + 1) : new Unknown(name);
      const v = scope.model.vars.get(name);
      if (v) return evaluate(v.value, scope, depth + 1);
      return new Unknown(name);
    }
    case 'ternary_expression': {
      const c = evaluate(node.childForFieldName('condition') ?? undefined, scope, depth + 1);
      if (typeof c !== 'boolean') return new Unknown(node.text);
      return evaluate(node.childForFieldName(c ? 'consequence' : 'alternative') ?? undefined, scope, depth + 1);
    }
    case 'binary_expression': {
      // Equality of known scalars only (Bicep's == and != are case-sensitive for strings).
      const op = node.childForFieldName('operator')?.text;
      const l = evaluate(node.childForFieldName('left') ?? undefined, scope, depth + 1);
      const r = evaluate(node.childForFieldName('right') ?? undefined, scope, depth + 1);
      const scalar = (v: Value): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
      if ((op === '==' || op === '!=') && scalar(l) && scalar(r)) return op === '==' ? l === r : l !== r;
      return new Unknown(node.text);
    }
    case 'member_expression': {
      const obj = node.childForFieldName('object');
      const prop = node.childForFieldName('property')?.text ?? '';
      const v = evaluate(obj ?? undefined, scope, depth + 1);
      if (v && typeof v === 'object' && !(v instanceof Unknown) && !Array.isArray(v) && prop in v) return v[prop]!;
      return new Unknown(node.text);
    }
    default:
      return new Unknown(node.text);
  }
}

export function isKnown(v: Value): v is Exclude<Value, Unknown> {
  return !(v instanceof Unknown);
}

/** Parameter values of a main template as a parameter file sets them (defaults otherwise). */
export function paramValuesFrom(paramFile: BicepModel, template: BicepModel): Map<string, Value> {
  const values = new Map<string, Value>();
  const fileScope: EvalScope = { model: paramFile };
  for (const [name, a] of paramFile.assignments) values.set(name, evaluate(a.value, fileScope));
  for (const [name, p] of template.params) {
    if (!values.has(name) && p.defaultValue) values.set(name, evaluate(p.defaultValue, { model: template, paramValues: values }));
  }
  return values;
}
