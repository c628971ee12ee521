// --approve values checked against the plan before anything runs, and the gates a stopped run
// waits for written back in the form --approve takes.
import { describe, expect, it } from 'vitest';
import { approveFlags, approveProblems, waitingGates } from '../../../src/cli/approve.js';
import { GATES, planOf } from './fixtures.js';

describe('approveProblems', () => {
  it('takes an id outside loops bare, and one item key (or *) per loop around it', async () => {
    const plan = await planOf(GATES);
    expect(approveProblems(plan, ['notify', 'replace[a]', 'replace[*]', 'restart[east][x]', 'restart[*][*]', 'replace[no-such-item]'])).toEqual([]);
  });

  it('names an unknown id and suggests the closest one', async () => {
    const plan = await planOf(GATES);
    expect(approveProblems(plan, ['notfy'])).toEqual([{ message: '--approve notfy: no step has this id', hint: 'did you mean notify?' }]);
    expect(approveProblems(plan, ['replac[a]'])).toEqual([{ message: '--approve replac[a]: no step has the id replac', hint: 'did you mean replace?' }]);
  });

  it('says how many item keys a gate in loops takes, quoted for the shell', async () => {
    const plan = await planOf(GATES);
    expect(approveProblems(plan, ['replace', 'restart[east]', 'notify[a]', 'replace[a'])).toEqual([
      {
        message: '--approve replace: replace is inside a loop; name the item',
        hint: "--approve 'replace[ITEM-KEY]' for one item, --approve 'replace[*]' for every item",
      },
      {
        message: '--approve restart[east]: restart is inside 2 nested loops; give 2 item keys, not 1',
        hint: "--approve 'restart[ITEM-KEY][ITEM-KEY]' for one item, --approve 'restart[*][*]' for every item",
      },
      { message: '--approve notify[a]: notify is not inside a loop and has no item key', hint: '--approve notify' },
      { message: '--approve replace[a: brackets do not pair up', hint: 'name a gate inside a loop as ID[ITEM-KEY], or ID[*] for every item' },
    ]);
  });
});

describe('gates a stopped run waits for', () => {
  it('are the steps recorded as waiting, written as --approve flags a shell reads as they are', () => {
    const steps = {
      notify: { state: 'done' as const, status: 'ok' as const },
      'replace[a]': { state: 'waiting' as const },
      "replace[team's model]": { state: 'waiting' as const },
      'restart[east][x]': { state: 'running' as const },
      'ns/step': { state: 'waiting' as const },
    };
    const waiting = waitingGates({ steps });
    expect(waiting).toEqual(['replace[a]', "replace[team's model]", 'ns/step']);
    expect(approveFlags(waiting)).toBe(`--approve 'replace[a]' --approve 'replace[team'\\''s model]' --approve ns/step`);
    expect(approveFlags([])).toBe('');
  });
});
