// node scripts/host-json.mjs [file]: rewrites host.json (default ./host.json) for the Durable backend
// in AKSOPS_DURABLE_BACKEND (AzureStorage when unset), the variable bicep/main.bicepparam reads for
// durableBackend. bicep/hooks/prepackage.sh runs it so `azd deploy` ships the host.json that matches
// the provisioned backend; AzureStorage restores the repository's form. Run after `npm run build`.
// The rules live in src/deploy/host-json.ts; docs/scaling-out.md explains the choice.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (process.argv.includes('--help')) {
  console.log('usage: AKSOPS_DURABLE_BACKEND=AzureStorage|DurableTaskScheduler node scripts/host-json.mjs [host.json path]');
  process.exit(0);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { hostJsonFor, parseDurableBackend, renderHostJson } = await import(pathToFileURL(join(root, 'dist/src/deploy/host-json.js')).href);
const file = process.argv[2] ?? 'host.json';
try {
  const backend = parseDurableBackend(process.env.AKSOPS_DURABLE_BACKEND);
  const current = readFileSync(file, 'utf8');
  const next = renderHostJson(hostJsonFor(JSON.parse(current), backend));
  if (next !== current) writeFileSync(file, next);
  console.log(`host-json: ${file} is set for the ${backend} backend${next === current ? ' (unchanged)' : ' (rewritten)'}`);
} catch (e) {
  console.error(`host-json: ${e.message}`);
  process.exit(1);
}
