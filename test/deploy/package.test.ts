// The deployment package: .funcignore keeps tests, benches, fakes, sources and devDependencies
// out of `func publish` from the repository, and the staged package (scripts/package.mjs, a zip
// deploy of production files) holds dist and production dependencies only.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ignore from 'ignore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const funcignore = ignore().add(readFileSync(join(root, '.funcignore'), 'utf8'));
// devDependencies nothing in production needs (@types/node and ws are also dependencies of @kubernetes/client-node).
const prodTree = new Set(
  execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((p) => p.includes('/node_modules/'))
    .map((p) => p.slice(p.lastIndexOf('node_modules/') + 13)),
);
const devOnly = Object.keys(pkg.devDependencies).filter((d) => !prodTree.has(d));

function walk(dir: string, base: string, out: string[] = [], skip = (_: string) => false): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const rel = relative(base, p);
    if (skip(rel)) continue;
    if (e.isDirectory()) walk(p, base, out, skip);
    else out.push(rel);
  }
  return out;
}

describe('.funcignore', () => {
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  const shipped = tracked.filter((f) => !funcignore.ignores(f));

  it('ships no tests, benches, fakes, docs, Bicep or TypeScript sources from the repository', () => {
    expect(shipped.filter((f) => /^(test|bench|docs|bicep|scripts|examples|\.ci)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
    expect(shipped).toContain('host.json');
    expect(shipped).toContain('package.json');
  });

  it('leaves out compiled tests and benches but keeps the compiled app', () => {
    for (const f of ['dist/test/fakes/kube-api-server.js', 'dist/bench/run.js', 'dist/functions/index.js.map']) expect(funcignore.ignores(f), f).toBe(true);
    for (const f of [pkg.main, 'dist/src/config/load.js', 'dist/orchestrations/remediation.js']) expect(funcignore.ignores(f), f).toBe(false);
  });

  it('lists every dev-only dependency (and no production dependency) under node_modules', () => {
    expect(devOnly).toContain('vitest');
    for (const d of devOnly) expect(funcignore.ignores(`node_modules/${d}/package.json`), d).toBe(true);
    for (const d of Object.keys(pkg.dependencies)) expect(funcignore.ignores(`node_modules/${d}/package.json`), d).toBe(false);
  });
});

describe('the staged package (npm run package)', () => {
  let out: string;
  let files: string[];
  beforeAll(() => {
    out = join(mkdtempSync(join(tmpdir(), 'aksops-pkg-')), 'deploy');
    execFileSync('node', [join(root, 'scripts/package.mjs'), out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, OPS_CONFIG_SOURCE: 'examples/ops.yaml' },
    });
    files = walk(out, out);
  }, 300_000);
  afterAll(() => rmSync(join(out, '..'), { recursive: true, force: true }), 300_000); // tens of thousands of files on a loaded disk

  it('holds the compiled app, host.json and a package.json without devDependencies or scripts', () => {
    expect(existsSync(join(out, pkg.main))).toBe(true);
    expect(files).toContain('host.json');
    // The operations config at OPS_CONFIG_PATH's default path (decision 0016).
    expect(readFileSync(join(out, 'ops.yaml'), 'utf8')).toBe(readFileSync(join(root, 'examples/ops.yaml'), 'utf8'));
    const staged = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(staged['devDependencies']).toBeUndefined();
    expect(staged['scripts']).toBeUndefined();
    expect(staged['main']).toBe(pkg.main);
  });

  it('holds no tests, benches, fakes, source maps or devDependencies', () => {
    expect(files.filter((f) => /^dist\/(test|bench)\//.test(f) || f.endsWith('.map') || /fakes\//.test(f.replace(/^node_modules\/.*/, '')))).toEqual([]);
    const modules = new Set(
      files
        .filter((f) => f.startsWith('node_modules/'))
        .map((f) =>
          f
            .split('/')
            .slice(1, f.split('/')[1]!.startsWith('@') ? 3 : 2)
            .join('/'),
        ),
    );
    for (const d of devOnly) expect(modules.has(d), d).toBe(false);
    for (const d of ['vitest', 'vite', 'esbuild', 'rollup']) expect(modules.has(d), d).toBe(false);
    for (const d of Object.keys(pkg.dependencies)) expect(modules.has(d), d).toBe(true);
  });
});

describe('npm run package refuses to ship without a valid operations config', () => {
  const stage = (source: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'aksops-pkg-bad-'));
    try {
      execFileSync('node', [join(root, 'scripts/package.mjs'), join(dir, 'deploy')], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
        env: { ...process.env, OPS_CONFIG_SOURCE: source },
      });
      return { code: 0, stderr: '', staged: existsSync(join(dir, 'deploy')) };
    } catch (e) {
      return { code: (e as { status: number }).status, stderr: String((e as { stderr: string }).stderr), staged: existsSync(join(dir, 'deploy')) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('fails on a missing config, naming it and the fix', () => {
    const r = stage('no-such-ops.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-such-ops\.yaml does not exist\. Fix: create ops\.yaml/);
    expect(r.staged).toBe(false);
  });

  it('fails on an invalid config, quoting its problems', () => {
    const r = stage('package.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/package\.json: \d+ problem/);
  });
});
