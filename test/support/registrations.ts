// Loads the compiled app (package.json "main") in a fresh node process with the stand-in
// @azure/functions-core (test/support/functions-core-stub.cjs) and returns every registration
// with its real metadata: what the Functions host would index. Needs `npm run build`
// (npm test does it first).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Binding {
  type: string;
  direction: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  schedule?: string;
}

export interface Registration {
  name: string;
  bindings: Record<string, Binding>;
  /** typeof the handler the app registered ("function"). */
  handler: string;
}

export function loadRegistrations(): Registration[] {
  const main = (JSON.parse(readFileSync('package.json', 'utf8')) as { main: string }).main;
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm test does it first)`);
  const script = `await import(${JSON.stringify(pathToFileURL(resolve(main)).href)});
process.stdout.write(JSON.stringify(globalThis.__aksopsRegistrations.map((r) => ({ name: r.metadata.name, bindings: r.metadata.bindings, handler: typeof r.callback }))));`;
  const out = execFileSync(process.execPath, ['-r', resolve('test/support/functions-core-stub.cjs'), '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as Registration[];
}

export const triggerOf = (r: Registration): Binding => Object.values(r.bindings).find((b) => /trigger$/i.test(b.type))!;
export const hasDurableClient = (r: Registration): boolean => Object.values(r.bindings).some((b) => b.type === 'durableClient' && b.direction === 'in');
