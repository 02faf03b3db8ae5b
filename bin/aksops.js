#!/usr/bin/env node
// Entry point of the `aksops` command. The TypeScript is compiled to dist/ by `npm run build`
// (npm ci runs it through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// `aksops ... | head`: the reader went away; stop quietly, like other Unix tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
// Ctrl-C: one line, no stack trace, the conventional exit code 130 (128 + SIGINT).
process.on('SIGINT', () => {
  process.stderr.write('\naksops: interrupted\n');
  process.exit(130);
});

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('aksops: the project is not built yet. Run `npm run build` in the project folder first.\n');
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
