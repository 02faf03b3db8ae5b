// npm run permissions [-- --check]: writes the shipped roles generated from
// src/permissions/kubernetes.ts and azure.ts (see src/permissions/generate.ts, permissions-json.ts); --check only reports stale files.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderClusterRole, renderRoleDefinitions } from '../dist/src/permissions/generate.js';
import { renderPermissionsJson } from '../dist/src/permissions/permissions-json.js';

const check = process.argv.includes('--check');
const files = [
  ['bicep/modules/role-definitions.bicep', renderRoleDefinitions],
  ['bicep/permissions.json', () => renderPermissionsJson()],
  ['deploy/kubernetes/clusterrole.yaml', () => renderClusterRole()],
];
let stale = 0;
for (const [path, render] of files) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {}
  const next = render(current);
  if (next === current) continue;
  stale += 1;
  if (check) console.error(`${path} is stale: run npm run permissions`);
  else {
    writeFileSync(path, next);
    console.log(`wrote ${path}`);
  }
}
process.exit(check && stale > 0 ? 1 : 0);
