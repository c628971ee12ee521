// "Did you mean" suggestions: the closest known name, but only when it is close enough to be the
// likely intent; suggesting "steps" for "scale" would send a reader the wrong way.
import { closest, distance } from 'fastest-levenshtein';

export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  if (list.length === 0) return undefined;
  const best = closest(word, list);
  const d = distance(word.toLowerCase(), best.toLowerCase());
  // Two edits are a typo in a long word but a different word when short ("<<" is not "id").
  if (d <= Math.max(2, Math.floor(word.length / 3)) && d < word.length - 1) return best;
  // A word added or dropped: "lowercase" for "lower".
  const lower = word.toLowerCase();
  const nested = list.filter((c) => c.length >= 3 && (lower.includes(c.toLowerCase()) || c.toLowerCase().includes(lower)));
  return nested.length && lower.length >= 3 ? closest(word, nested) : undefined;
}

/** `did you mean "x"? ` followed by `rest`, or just `rest` when nothing is close. */
export function suggestion(word: string, candidates: Iterable<string>, rest = ''): string | undefined {
  const guess = didYouMean(word, candidates);
  const text = `${guess ? `did you mean "${guess}"? ` : ''}${rest}`.trim();
  return text || undefined;
}
