import { ConfigError, loadConfigFile } from '../config/load.js';
import { configProblems } from '../config/validate-warnings.js';
import { configPath, parseFlags, UsageError } from './args.js';
import type { CliIo } from './io.js';

export const CONFIG_FLAGS = { config: { type: 'string' } } as const;

export async function runConfigValidate(args: string[], io: CliIo): Promise<number> {
  let path: string;
  try {
    const { values } = parseFlags(args, CONFIG_FLAGS, 'config validate');
    path = configPath(values.config, io.env);
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    throw e;
  }
  try {
    const cfg = loadConfigFile(path, io.cwd);
    const s = cfg.source;
    io.out(
      `${path}: valid (${s.clusters.length} cluster${s.clusters.length === 1 ? '' : 's'}, ${s.rules.length} rule${s.rules.length === 1 ? '' : 's'}, ${s.notifications.length} notification target${s.notifications.length === 1 ? '' : 's'}; default dryRun ${s.defaults.dryRun})`,
    );
    for (const p of configProblems(cfg)) io.err(`warning: ${p}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) return (io.err(e.message), 1);
    throw e;
  }
}
