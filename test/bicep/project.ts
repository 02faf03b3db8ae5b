// Loads and lints the repository's templates once per test file.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintProject, type LintProblem } from './lint.js';
import type { BicepModel } from './model.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bicepDir = join(repoRoot, 'bicep');

export interface Project {
  problems: LintProblem[];
  models: Map<string, BicepModel>;
  /** The model of a file by its path relative to bicep/, e.g. 'modules/aks.bicep'. */
  model(path: string): BicepModel;
}

let loading: Promise<Project> | undefined;

export function loadProject(): Promise<Project> {
  loading ??= lintProject(bicepDir).then(({ problems, models }) => ({
    problems,
    models,
    model(path: string): BicepModel {
      const m = models.get(path);
      if (!m) throw new Error(`bicep/${path} was not loaded (files: ${[...models.keys()].join(', ')})`);
      return m;
    },
  }));
  return loading;
}

export function readJson<T>(pathFromRepo: string): T {
  return JSON.parse(readFileSync(join(repoRoot, pathFromRepo), 'utf8')) as T;
}
