// Flag parsing shared by the commands: node's parseArgs with errors turned into usage messages.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfigFile, type CompiledConfig } from '../config/load.js';
import type { CliIo } from './io.js';

export class UsageError extends Error {}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`aksops ${command}: ${(e as Error).message}. See aksops --help`);
  }
}

/** The config path: --config, else $OPS_CONFIG_PATH, else ./ops.yaml. */
export function configPath(flag: string | undefined, env: Record<string, string | undefined>): string {
  return flag ?? env['OPS_CONFIG_PATH'] ?? 'ops.yaml';
}

/** The config file, or null once its error is printed (the command then exits 1). */
export function loadConfigOrReport(path: string, io: CliIo): CompiledConfig | null {
  try {
    return loadConfigFile(path, io.cwd);
  } catch (e) {
    if (e instanceof ConfigError) return (io.err(e.message), null);
    throw e;
  }
}
