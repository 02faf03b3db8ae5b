// aksops budgets status [--config FILE] [--budget NAME] [--url URL] [--at ISO]
//   One JSON object per budget. From the config alone: mode, scope, amount, the current period
//   and the stages. With --url (or $AKSOPS_URL): the live state from the function app
//   (GET /api/budgets/{name}; function key from $AKSOPS_FUNCTION_KEY, sent as x-functions-key,
//   never printed): last evaluation, stages fired, changes in effect with their previous values.
import { ConfigError, loadConfigFile } from '../config/load.js';
import { compileBudgets } from '../budget/compile.js';
import { periodAt } from '../budget/period.js';
import { budgetStatus } from '../budget/status.js';
import { configPath, parseFlags, UsageError } from './args.js';
import type { CliIo } from './io.js';

export const BUDGETS_STATUS_FLAGS = { config: { type: 'string' }, budget: { type: 'string' }, url: { type: 'string' }, at: { type: 'string' } } as const;

export async function runBudgetsStatus(args: string[], io: CliIo): Promise<number> {
  let values: { config?: string; budget?: string; url?: string; at?: string };
  try {
    values = parseFlags(args, BUDGETS_STATUS_FLAGS, 'budgets status').values;
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    throw e;
  }
  const at = values.at ? new Date(values.at) : new Date();
  if (!Number.isFinite(at.getTime())) return (io.err(`aksops budgets status: --at "${values.at}" is not a time. Fix: e.g. --at 2025-03-29T06:00:00Z`), 2);
  let budgets;
  try {
    budgets = compileBudgets(loadConfigFile(configPath(values.config, io.env), io.cwd).source);
  } catch (e) {
    if (e instanceof ConfigError) return (io.err(e.message), 1);
    throw e;
  }
  if (values.budget) {
    budgets = budgets.filter((b) => b.name === values.budget);
    if (budgets.length === 0) return (io.err(`aksops budgets status: no budget named ${values.budget}. Fix: use a budgets[].name from the config`), 1);
  }
  if (budgets.length === 0) {
    io.err('aksops budgets status: the config has no budgets. Fix: add a budgets section (docs/budgets.md)');
    return 1;
  }
  const url = values.url ?? io.env['AKSOPS_URL'];
  for (const b of budgets) {
    const period = periodAt(b.period, at);
    if (!url) {
      io.out(JSON.stringify(budgetStatus(b, period, null)));
      continue;
    }
    const key = io.env['AKSOPS_FUNCTION_KEY'];
    let res: Response;
    try {
      res = await fetch(`${url.replace(/\/+$/, '')}/api/budgets/${encodeURIComponent(b.name)}?at=${encodeURIComponent(at.toISOString())}`, {
        headers: { accept: 'application/json', ...(key ? { 'x-functions-key': key } : {}) },
      });
    } catch (e) {
      io.err(`aksops budgets status: ${url} cannot be reached (${(e as Error).message}). Fix: check --url / AKSOPS_URL`);
      return 1;
    }
    const text = await res.text();
    if (!res.ok) {
      io.err(
        `aksops budgets status: ${b.name}: HTTP ${res.status} ${text.slice(0, 300)}${res.status === 401 ? '. Fix: set AKSOPS_FUNCTION_KEY to a function key of the app' : ''}`,
      );
      return 1;
    }
    io.out(JSON.stringify(JSON.parse(text)));
  }
  return 0;
}
