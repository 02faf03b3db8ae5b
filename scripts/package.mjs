// npm run package: stages the deployment package in .deploy/ (for a zip deploy of production files only):
// dist/{functions,orchestrations,src} without source maps, host.json, a package.json without
// devDependencies and scripts (so a remote build or `npm install` there cannot pull test tools),
// and the production dependency tree copied from node_modules (`npm ls --omit=dev`).
// The operations config ships in the package as ops.yaml (OPS_CONFIG_PATH's default; decision 0016):
// taken from $OPS_CONFIG_SOURCE, else ./ops.yaml, and validated first: no package without a valid config.
// Prints the package's file count and size. Run after `npm run build`.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const out = process.argv[2] ?? '.deploy';
const configSource = process.env.OPS_CONFIG_SOURCE || 'ops.yaml';
if (!existsSync(configSource)) {
  console.error(
    `package: the operations config ${configSource} does not exist. Fix: create ops.yaml at the project root (start from examples/ops.yaml), or set OPS_CONFIG_SOURCE to its path.`,
  );
  process.exit(1);
}
const { loadConfigFile } = await import(pathToFileURL(resolve('dist/src/config/load.js')).href);
try {
  loadConfigFile(configSource);
} catch (e) {
  console.error(`package: ${e.message}\nFix: correct the config (aksops config validate --config ${configSource}) and package again.`);
  process.exit(1);
}
// host.json for the Durable backend in AKSOPS_DURABLE_BACKEND (src/deploy/host-json.ts, docs/scaling-out.md).
const { hostJsonFor, parseDurableBackend, renderHostJson } = await import(pathToFileURL(resolve('dist/src/deploy/host-json.js')).href);
let durableBackend;
try {
  durableBackend = parseDurableBackend(process.env.AKSOPS_DURABLE_BACKEND);
} catch (e) {
  console.error(`package: ${e.message}`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const noMaps = (src) => !src.endsWith('.map');
for (const d of ['functions', 'orchestrations', 'src']) cpSync(join('dist', d), join(out, 'dist', d), { recursive: true, filter: noMaps });
writeFileSync(join(out, 'host.json'), renderHostJson(hostJsonFor(JSON.parse(readFileSync('host.json', 'utf8')), durableBackend)));
cpSync(configSource, join(out, 'ops.yaml'));
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
console.log(JSON.stringify({ out, durableBackend, files, bytes, megabytes: Math.round((bytes / 1e6) * 10) / 10, productionPackages: prod.length }));
