// Parses Bicep and .bicepparam files with the tree-sitter Bicep grammar (npm tree-sitter-bicep,
// which ships tree-sitter-bicep.wasm, ABI 14) through web-tree-sitter (WebAssembly, no native
// build). Pinned: tree-sitter-bicep 1.1.0 + web-tree-sitter 0.27.1 (docs/decisions/0004-bicep-checks.md).
//
// .bicepparam: the grammar (1.1.0, the latest release) parses `using '...'` but its
// parameter_declaration always requires a type, so the parameter-file form `param name = value`
// is a syntax error for it. A `param name = value` assignment has exactly the shape of
// `var name = value`, which the grammar does parse, so for .bicepparam files every `param`
// keyword token is replaced by `var  ` (same length: rows and columns are unchanged) and the
// result is parsed. Everything else (the values, using, imports) is checked by the grammar as is;
// a typed `param x string = ...` (invalid in a parameter file) still fails.
import { createRequire } from 'node:module';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

export type BicepFileKind = 'bicep' | 'bicepparam';

export interface SyntaxProblem {
  line: number;
  column: number;
  message: string;
}

export interface ParsedBicep {
  kind: BicepFileKind;
  /** The text that was parsed (for .bicepparam, the param -> var rewrite). Same positions as the file. */
  parsedText: string;
  tree: Tree;
  root: Node;
  syntaxProblems: SyntaxProblem[];
  /** .bicepparam: start offsets of the `param` assignments (parsed as variable declarations). */
  paramAssignmentOffsets: number[];
}

let parserPromise: Promise<Parser> | undefined;

async function createParser(): Promise<Parser> {
  await Parser.init();
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');
  const language = await Language.load(wasmPath);
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** One parser per process (loading the grammar takes ~50 ms). */
export function getParser(): Promise<Parser> {
  parserPromise ??= createParser();
  return parserPromise;
}

export function fileKind(path: string): BicepFileKind {
  return path.endsWith('.bicepparam') ? 'bicepparam' : 'bicep';
}

function collectSyntaxProblems(root: Node): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const visit = (node: Node): void => {
    if (node.isError || node.isMissing) {
      const text = node.text.length > 60 ? `${node.text.slice(0, 57)}...` : node.text;
      problems.push({
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        message: node.isMissing ? `missing ${node.type}` : `syntax error near "${text.replace(/\s+/g, ' ')}"`,
      });
      return;
    }
    if (!node.hasError) return;
    for (const child of node.children) if (child) visit(child);
  };
  visit(root);
  return problems;
}

/** Positions of `param` keyword tokens (anonymous leaves; never inside strings or comments). */
function paramKeywordOffsets(root: Node): number[] {
  const offsets: number[] = [];
  const visit = (node: Node): void => {
    if (node.childCount === 0) {
      if (!node.isNamed && node.type === 'param') offsets.push(node.startIndex);
      return;
    }
    for (const child of node.children) if (child) visit(child);
  };
  visit(root);
  return offsets;
}

function replaceAt(text: string, offsets: number[], from: string, to: string): string {
  let out = text;
  for (const offset of offsets) {
    if (out.slice(offset, offset + from.length) !== from) continue;
    out = out.slice(0, offset) + to + out.slice(offset + from.length);
  }
  return out;
}

export async function parseBicep(text: string, kind: BicepFileKind): Promise<ParsedBicep> {
  const parser = await getParser();
  let parsedText = text;
  let paramAssignmentOffsets: number[] = [];
  let tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  if (kind === 'bicepparam') {
    // web-tree-sitter indexes are UTF-16 code units, like JavaScript strings.
    const offsets = paramKeywordOffsets(tree.rootNode);
    paramAssignmentOffsets = offsets;
    if (offsets.length > 0) {
      parsedText = replaceAt(text, offsets, 'param', 'var  ');
      tree.delete();
      tree = parser.parse(parsedText);
      if (!tree) throw new Error('tree-sitter returned no tree');
    }
  }
  return { kind, parsedText, tree, root: tree.rootNode, syntaxProblems: collectSyntaxProblems(tree.rootNode), paramAssignmentOffsets };
}
