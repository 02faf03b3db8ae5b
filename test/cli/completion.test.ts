// `aksops completion bash|zsh|fish` from the commander tree: the bash script is loaded into a real
// bash and asked, as the shell would ask on TAB (COMP_WORDS/COMP_CWORD, then compgen), what it
// completes; fish and zsh scripts name every command.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, isTTY: false } as never);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('aksops completion', () => {
  it('bash: real bash completes commands, subcommands and options', async () => {
    const { code, out } = await run(['completion', 'bash']);
    expect(code).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), 'aksops-completion-')), 'aksops.bash');
    writeFileSync(file, `${out}\n`);
    const complete = (words: string[]) => {
      const script = `source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}; _aksops; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return execFileSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    };
    expect(complete(['aksops', 'bac'])).toEqual(['backup']);
    expect(complete(['aksops', 'backup', ''])).toEqual(['create', 'list', 'show', 'verify']);
    expect(complete(['aksops', 'runbooks', 'ap'])).toEqual(['approve']);
    expect(complete(['aksops', 'backup', 'create', '--w'])).toEqual(['--wait']);
    expect(complete(['aksops', 'completion', '--'])).toEqual(['--help']);
    expect(complete(['aksops', 'nonsense', ''])).toEqual(complete(['aksops', '']));
    expect(complete(['aksops', ''])).toEqual(expect.arrayContaining(['audit', 'backup', 'budgets', 'completion', 'config', 'runbooks', 'secrets']));
  });

  it('zsh and fish scripts cover the same tree', async () => {
    const zsh = await run(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.out).toMatch(/bashcompinit/);
    expect(zsh.out).toContain("'backup') echo 'list show verify create'");
    const fish = await run(['completion', 'fish']);
    expect(fish.code).toBe(0);
    expect(fish.out).toContain("complete -c aksops -n '__fish_use_subcommand' -a 'backup'");
    expect(fish.out).toContain("complete -c aksops -n '__fish_seen_subcommand_from backup; and __fish_seen_subcommand_from create' -l 'wait'");
  });

  it('names the shells when none or another is given, and answers --help', async () => {
    expect(await run(['completion', 'tcsh'])).toMatchObject({ code: 2, err: expect.stringContaining('bash, zsh, fish (got tcsh)') });
    expect(await run(['completion'])).toMatchObject({ code: 2, err: expect.stringContaining('(got nothing)') });
    const help = await run(['completion', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: aksops completion \[options\] \[SHELL\]/);
  });
});
