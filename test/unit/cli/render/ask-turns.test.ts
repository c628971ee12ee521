// Gates of loop items running at once are asked one at a time, and a "no" stops the asking: the
// questions still queued are answered no without reaching the person.
import { describe, expect, it } from 'vitest';
import { oneQuestionAtATime } from '../../../../src/cli/render/ask-turns.js';

/** A person who answers from a script, one question at a time, and records what was asked. */
function person(answers: boolean[]) {
  const asked: string[] = [];
  let open = 0;
  let most = 0;
  const ask = async (id: string): Promise<boolean> => {
    asked.push(id);
    most = Math.max(most, ++open);
    await new Promise((r) => setImmediate(r));
    open--;
    return answers.shift() ?? false;
  };
  return { ask, asked, most: () => most };
}

describe('oneQuestionAtATime', () => {
  it('asks the questions of items that arrive together one after the other, in order', async () => {
    const p = person([true, true, true]);
    const ask = oneQuestionAtATime(p.ask);
    const answers = await Promise.all(['a[1]', 'a[2]', 'a[3]'].map((id) => ask(id, 'a', 'go on?')));
    expect(answers).toEqual([true, true, true]);
    expect(p.asked).toEqual(['a[1]', 'a[2]', 'a[3]']);
    expect(p.most()).toBe(1);
  });

  it('after a no, the questions still queued are answered no without being asked', async () => {
    const p = person([true, false, true, true]);
    const ask = oneQuestionAtATime(p.ask);
    const answers = await Promise.all(['a[1]', 'a[2]', 'a[3]', 'a[4]'].map((id) => ask(id, 'a', 'go on?')));
    expect(answers).toEqual([true, false, false, false]);
    expect(p.asked).toEqual(['a[1]', 'a[2]']);
    // A gate reached later in the same run is not asked either: the run is stopping.
    expect(await ask('b', 'b', 'go on?')).toBe(false);
    expect(p.asked).toHaveLength(2);
  });

  it('a question that fails (Ctrl-C) does not block the ones behind it', async () => {
    let first = true;
    const ask = oneQuestionAtATime(async () => {
      if (first) {
        first = false;
        throw new Error('interrupted');
      }
      return true;
    });
    const [a, b] = await Promise.allSettled([ask('a[1]', 'a', 'q'), ask('a[2]', 'a', 'q')]);
    expect(a.status).toBe('rejected');
    expect(b).toEqual({ status: 'fulfilled', value: true });
  });
});
