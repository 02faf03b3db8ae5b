// The web console's files, served by the function app itself (GET /api/console/{*path}): the
// committed ES modules in src/console/web/ and a few vendor modules from node_modules (Preact, htm,
// uPlot), as-is, with no build step and nothing fetched from the network. Only files that exist in
// that list are served: a path is looked up, never joined onto the file system.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectInfo } from '../config/project-root.js';

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Vendor modules: URL path -> file under node_modules (the import map in index.html names them). */
export const VENDOR: Record<string, string> = {
  'vendor/preact.js': 'preact/dist/preact.mjs',
  'vendor/hooks.js': 'preact/hooks/dist/hooks.mjs',
  'vendor/htm.js': 'htm/dist/htm.module.js',
  'vendor/uplot.js': 'uplot/dist/uPlot.esm.js',
  'vendor/uplot.css': 'uplot/dist/uPlot.min.css',
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

let table: Map<string, Asset> | undefined;

/** Every servable asset by URL path (built once per worker). */
export function consoleAssets(): Map<string, Asset> {
  if (table) return table;
  const { root } = projectInfo();
  const web = join(root, 'src', 'console', 'web');
  const entries: [string, string][] = [
    ...files(web).map((f): [string, string] => [relative(web, f).split('\\').join('/'), f]),
    ...Object.entries(VENDOR).map(([p, f]): [string, string] => [p, join(root, 'node_modules', f)]),
  ];
  table = new Map();
  for (const [path, file] of entries) {
    const ext = /\.[a-z]+$/.exec(path)?.[0] ?? '';
    const contentType = TYPES[ext];
    if (!contentType) continue;
    const body = readFileSync(file);
    table.set(path, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return table;
}

/** The import map's hash for the Content-Security-Policy (an inline script, allowed by hash only). */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
}

export interface AssetResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** The answer for GET /api/console/{path}: the asset, 304 when the ETag matches, 404 otherwise. */
export function serveAsset(path: string, ifNoneMatch: string | null): AssetResponse {
  const key = path === '' || path.endsWith('/') ? `${path}index.html` : path;
  const asset = consoleAssets().get(key);
  if (!asset) return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `no console file ${key.slice(0, 100)}` };
  const headers: Record<string, string> = {
    'Content-Type': asset.contentType,
    ETag: asset.etag,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  };
  if (key.endsWith('.html')) {
    const hashes = inlineScriptHashes(asset.body.toString('utf8')).join(' ');
    headers['Content-Security-Policy'] =
      `default-src 'none'; script-src 'self' ${hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
    headers['X-Frame-Options'] = 'DENY';
    headers['Referrer-Policy'] = 'no-referrer';
  }
  if (ifNoneMatch === asset.etag) return { status: 304, headers };
  return { status: 200, headers, body: asset.body };
}
