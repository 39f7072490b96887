import { describe, expect, it } from '@jest/globals';

import { completionScript } from './completion.js';

describe('completionScript', () => {
  it('bash: a function completing commands, options and option values, for both names', () => {
    const s = completionScript('bash');
    expect(s).toContain('_koredumpctl() {');
    expect(s).toContain('complete -F _koredumpctl koredumpctl');
    expect(s).toContain('complete -F _koredumpctl kubectl-koredump');
    expect(s).toMatch(
      /list\|info\|get\|dump\|debug\|gdb\|groups\|status\|version\|completion\) cmd=/,
    );
    expect(s).toContain('compgen -W "human table wide json yaml"');
    expect(s).toContain('compgen -W "human json yaml"'); // info -o
    expect(s).toContain('compgen -W "table wide json yaml"'); // groups -o
    expect(s).toContain('compgen -W "lastSeen count"'); // groups --sort
    expect(s).toContain('--koredump-namespace');
    expect(s).toContain('--output-dir');
  });

  it('zsh: compdef with _arguments per command', () => {
    const s = completionScript('zsh');
    expect(s.startsWith('#compdef koredumpctl kubectl-koredump\n')).toBe(true);
    expect(s).toContain(
      "'(-o --output)'{-o,--output}'[human (default), table, wide, json or yaml]:value:(human table wide json yaml)'",
    );
    expect(s).toContain(
      "--kubeconfig'[kubeconfig file (default - KUBECONFIG or ~/.kube/config)]:file:_files'",
    );
    expect(s).toContain("'1:shell:(bash zsh)'");
    expect(s).toContain('compdef _koredumpctl koredumpctl kubectl-koredump');
  });
});
