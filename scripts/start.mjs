#!/usr/bin/env node
// `npm start`: build, start Azurite (the local storage emulator) and the Azure Functions host.
// Every action is a dry-run until the operations config says otherwise (defaults.dryRun).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

function say(line) {
  process.stdout.write(`[aksops] ${line}\n`);
}

function fail(text) {
  process.stderr.write(`\n[aksops] ${text}\n\n`);
  process.exit(1);
}

// 1. Azure Functions Core Tools: the host that runs the app. It cannot be an npm dependency
// (its npm package downloads the host binary at install time), so it is a prerequisite.
const func = spawnSync('func', ['--version'], { encoding: 'utf8' });
if (func.error || func.status !== 0) {
  fail(`Azure Functions Core Tools v4 ("func") is not installed or not on PATH.
npm start needs it to run the function app locally. Install it with one of:
  npm install -g azure-functions-core-tools@4 --unsafe-perm true     (any OS, needs internet)
  brew tap azure/functions && brew install azure-functions-core-tools@4   (macOS)
  sudo apt-get install azure-functions-core-tools-4                 (Debian/Ubuntu, after adding
      Microsoft's package repository: https://learn.microsoft.com/azure/azure-functions/functions-run-local)
  winget install Microsoft.Azure.FunctionsCoreTools                 (Windows)
Then check with: func --version   (4.x)
Tests do not need it: npm test runs everything without the host.`);
}
if (!/^4\./.test(func.stdout.trim())) fail(`func ${func.stdout.trim()} found, but version 4 is required. Install azure-functions-core-tools@4.`);
say(`Azure Functions Core Tools ${func.stdout.trim()}`);

// 2. Build.
say('building (tsc)...');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (tsc.status !== 0) fail('the TypeScript build failed; fix the errors above (npm run build).');

// 3. Local settings: created once from the example, never overwritten.
if (!existsSync('local.settings.json')) {
  copyFileSync('local.settings.example.json', 'local.settings.json');
  say('created local.settings.json from local.settings.example.json (edit it for your webhook token and config path)');
}
const values = JSON.parse(readFileSync('local.settings.json', 'utf8')).Values ?? {};
const configPath = values.OPS_CONFIG_PATH ?? 'ops.yaml';

// 4. The operations config must be valid before anything starts.
const check = spawnSync(process.execPath, ['bin/aksops.js', 'config', 'validate', '--config', configPath], { stdio: 'inherit' });
if (check.status !== 0)
  fail(`${configPath} is not valid (see above). Copy examples/ops.yaml to ops.yaml, adapt it, and set OPS_CONFIG_PATH in local.settings.json.`);

// 5. Which Kubernetes context local clusters (kubeContext in the config) will use.
const kubeconfig = process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
if (existsSync(kubeconfig)) {
  const current = /^current-context:\s*"?([^"\n]+)"?/m.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
  say(`kubeconfig ${kubeconfig}, current context: ${current ?? '(none)'}`);
} else {
  say(`no kubeconfig at ${kubeconfig}: clusters with kubeContext cannot be reached (alerts are still decided and audited)`);
}

// 6. Azurite on the standard ports, which UseDevelopmentStorage=true points at; reused if already running.
function portOpen(port) {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => (s.end(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}
let azurite;
if (await portOpen(10002)) {
  say('Azurite (or another storage emulator) is already listening on 10000-10002; using it');
} else {
  mkdirSync('.azurite', { recursive: true });
  azurite = spawn(
    process.execPath,
    [
      join(root, 'node_modules/azurite/dist/src/azurite.js'),
      '--silent',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--location',
      '.azurite',
      '--blobPort',
      '10000',
      '--queuePort',
      '10001',
      '--tablePort',
      '10002',
    ],
    { stdio: 'inherit' },
  );
  for (let i = 0; i < 100 && !(await portOpen(10002)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await portOpen(10002))) fail('Azurite did not start on ports 10000-10002 (are they in use by another program?)');
  say('Azurite started (data in .azurite/)');
}

// 7. The Functions host.
say(`starting the Functions host with config ${configPath}; actions are dry-run unless the config says otherwise`);
const host = spawn('func', ['start', '--javascript'], { stdio: 'inherit' });
const stop = () => {
  host.kill('SIGINT');
  azurite?.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
host.on('exit', (code) => {
  azurite?.kill('SIGTERM');
  process.exit(code ?? 0);
});
