// npm run package: stages the deployment package in .deploy/ (for a zip deploy of production files only):
// dist/{functions,orchestrations,src} without source maps, host.json, a package.json without
// devDependencies and scripts (so a remote build or `npm install` there cannot pull test tools),
// and the production dependency tree copied from node_modules (`npm ls --omit=dev`).
// Prints the package's file count and size. Run after `npm run build`.
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';

const out = process.argv[2] ?? '.deploy';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const noMaps = (src) => !src.endsWith('.map');
for (const d of ['functions', 'orchestrations', 'src']) cpSync(join('dist', d), join(out, 'dist', d), { recursive: true, filter: noMaps });
cpSync('host.json', join(out, 'host.json'));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
delete pkg.devDependencies;
delete pkg.scripts;
delete pkg.bin;
writeFileSync(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
cpSync('.funcignore', join(out, '.funcignore'));
const prod = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' })
  .split('\n')
  .filter((p) => p.includes('/node_modules/'));
for (const p of prod) {
  const rel = relative(process.cwd(), p);
  cpSync(p, join(out, rel), { recursive: true, filter: (src) => noMaps(src) && !src.slice(p.length).includes('/node_modules/') });
}
let files = 0;
let bytes = 0;
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else {
      files += 1;
      bytes += statSync(p).size;
    }
  }
})(out);
console.log(JSON.stringify({ out, files, bytes, megabytes: Math.round((bytes / 1e6) * 10) / 10, productionPackages: prod.length }));
