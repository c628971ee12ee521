// --approve on the command line: checking the values against the plan before anything runs, and
// writing the gates a stopped run waits for in the form --approve takes.
import { closest } from 'fastest-levenshtein';
import { parseRunKey, runKeyOf } from '../contract/run-key.js';
import type { Problem } from '../contract/errors.js';
import type { RunState } from '../engine/state.js';
import { loopDepth, walkPlan } from '../runbook/plan-walk.js';
import type { Plan } from '../runbook/types.js';

/**
 * Problems with --approve values. The id must be a step's, with one item key per loop around it:
 * a gate inside a loop is asked once per item, and approving all of them must be said (`id[*]`).
 * An exact item key is not checked: items are only known when the loop runs, and a key that names
 * no item passes nothing, so the run still stops at that gate and names the key it waits for.
 */
export function approveProblems(plan: Plan, values: readonly string[]): Problem[] {
  const loops = loopDepths(plan);
  const ids = [...loops.keys()];
  const problems: Problem[] = [];
  for (const value of values) {
    const name = parseRunKey(value);
    if (!name) {
      problems.push({ message: `--approve ${value}: brackets do not pair up`, hint: 'name a gate inside a loop as ID[ITEM-KEY], or ID[*] for every item' });
      continue;
    }
    const depth = loops.get(name.id);
    if (depth === undefined) {
      const what = name.keys.length ? `the id ${name.id}` : 'this id';
      problems.push({ message: `--approve ${value}: no step has ${what}`, hint: `did you mean ${closest(name.id, ids)}?` });
    } else if (name.keys.length !== depth) {
      const every = runKeyOf(name.id, Array<string>(depth).fill('*'));
      problems.push(
        depth === 0
          ? { message: `--approve ${value}: ${name.id} is not inside a loop and has no item key`, hint: `--approve ${name.id}` }
          : {
              message: `--approve ${value}: ${name.id} is inside ${depth === 1 ? 'a loop' : `${depth} nested loops`}; ${
                name.keys.length ? `give ${depth === 1 ? 'one item key' : `${depth} item keys`}, not ${name.keys.length}` : `name the item${depth === 1 ? '' : ' of each'}`
              }`,
              hint: `--approve ${shellWord(runKeyOf(name.id, Array<string>(depth).fill('ITEM-KEY')))} for one item, --approve ${shellWord(every)} for every item`,
            },
      );
    }
  }
  return problems;
}

/** The gates a stopped run waits for, keyed as --approve takes them. */
export function waitingGates(state: Pick<RunState, 'steps'>): string[] {
  return Object.entries(state.steps)
    .filter(([, s]) => s.state === 'waiting')
    .map(([key]) => key);
}

/**
 * For a gate that several loop items wait at, the one flag that passes all its items (`id[*]`),
 * quoted for a shell; empty when no gate waits for more than one item.
 */
export function approveEveryItemFlags(keys: readonly string[]): string {
  const byGate = new Map<string, number>();
  for (const key of keys) {
    const parsed = parseRunKey(key);
    if (!parsed || parsed.keys.length === 0) continue;
    const every = parsed.id + '[*]'.repeat(parsed.keys.length);
    byGate.set(every, (byGate.get(every) ?? 0) + 1);
  }
  return approveFlags([...byGate].filter(([, n]) => n > 1).map(([every]) => every));
}

/** `--approve KEY` for each gate, quoted for a POSIX shell where `[`, `*` or a space would be read. */
export function approveFlags(keys: readonly string[]): string {
  return keys.map((k) => `--approve ${shellWord(k)}`).join(' ');
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Every node id with the number of loops around it. */
function loopDepths(plan: Plan): Map<string, number> {
  return new Map(walkPlan(plan.sections).map(({ node, parents }) => [node.id, loopDepth(parents)]));
}
