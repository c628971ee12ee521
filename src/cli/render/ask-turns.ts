// Gates of loop items running at once reach the terminal together. They are asked one at a time,
// and once a person has said no the run is stopping: the questions still queued are answered no
// without being asked, so a habitual "y" to the next item cannot pass it after a refusal. Those
// gates are left waiting, and the summary says how to pass them on resume.
import type { Renderer } from './renderer.js';

export type Ask = NonNullable<Renderer['ask']>;

export function oneQuestionAtATime(ask: Ask): Ask {
  let turn: Promise<unknown> = Promise.resolve();
  let refused = false;
  return (id, name, question) => {
    const answer = turn.then(async () => {
      if (refused) return false;
      const yes = await ask(id, name, question);
      if (!yes) refused = true;
      return yes;
    });
    turn = answer.catch(() => undefined);
    return answer;
  };
}
