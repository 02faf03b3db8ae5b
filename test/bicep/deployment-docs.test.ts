// docs/deployment.md explains every parameter and the deployment routes; azure.yaml lets
// `azd up` provision and deploy.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadProject, repoRoot } from './project.js';

const project = await loadProject();
const doc = readFileSync(join(repoRoot, 'docs', 'deployment.md'), 'utf8');

describe('docs/deployment.md', () => {
  it('has a table row for every parameter of main.bicep', () => {
    const main = project.model('main.bicep');
    const missing = [...main.params.keys()].filter((name) => !doc.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });

  it('explains azd up, az deployment sub create with a parameter file, and what-if first', () => {
    expect(doc).toContain('azd up');
    expect(doc).toMatch(/az deployment sub what-if -l <region> -f bicep\/main\.bicep -p bicep\/env\/dev\.bicepparam/);
    expect(doc).toMatch(/az deployment sub create {2}-l <region> -f bicep\/main\.bicep -p bicep\/env\/dev\.bicepparam/);
    expect(doc).toContain('## Role assignments and why');
  });

  it('names every permissions.json role in the role table', () => {
    const grants = (JSON.parse(readFileSync(join(repoRoot, 'bicep', 'permissions.json'), 'utf8')) as { grants: { role: { builtIn?: string } }[] }).grants;
    for (const g of grants) if (g.role.builtIn) expect(doc, g.role.builtIn).toContain(g.role.builtIn);
  });
});

describe('azure.yaml', () => {
  const azure = parse(readFileSync(join(repoRoot, 'azure.yaml'), 'utf8')) as {
    infra: { provider: string; path: string; module: string };
    services: Record<string, { project: string; language: string; host: string }>;
    hooks: { postdeploy: { posix: { run: string } }; prepackage: { posix: { run: string } } };
  };

  it('provisions bicep/main.bicep with bicep/main.bicepparam', () => {
    expect(azure.infra).toEqual({ provider: 'bicep', path: 'bicep', module: 'main' });
    expect(existsSync(join(repoRoot, 'bicep', 'main.bicepparam'))).toBe(true);
    expect(project.model('main.bicepparam').assignments.get('environmentName')?.value.text).toBe("readEnvironmentVariable('AZURE_ENV_NAME')");
  });

  it('deploys the TypeScript app as the function service the Bicep tags', () => {
    expect(azure.services['api']).toEqual({ project: '.', language: 'ts', host: 'function' });
    const fa = project.model('modules/functionapp.bicep');
    expect(fa.params.get('azdServiceName')?.defaultValue?.text).toBe("'api'");
  });

  it('runs the postdeploy hook that connects Event Grid and the budget webhook', () => {
    const hook = join(repoRoot, azure.hooks.postdeploy.posix.run);
    expect(existsSync(hook)).toBe(true);
    expect(statSync(hook).mode & 0o111).not.toBe(0);
    const text = readFileSync(hook, 'utf8');
    expect(text).toContain('azd env set AKSOPS_CONNECT_APP_ENDPOINTS true');
    expect(project.model('main.bicepparam').assignments.get('connectAppEndpoints')?.value.text).toContain('AKSOPS_CONNECT_APP_ENDPOINTS');
  });

  it('refuses to package without ops.yaml (it ships in the package, decision 0016)', () => {
    const hook = join(repoRoot, azure.hooks.prepackage.posix.run);
    expect(readFileSync(hook, 'utf8')).toContain('config validate --config ops.yaml');
    const empty = mkdtempSync(join(tmpdir(), 'aksops-prepackage-'));
    try {
      const r = spawnSync('sh', [hook], { cwd: empty, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/ops\.yaml is missing at the project root\. Fix: cp examples\/ops\.yaml ops\.yaml/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
