// "Did you mean" suggestions: the closest known name, but only when it is close enough to be the
// likely intent; suggesting "steps" for "scale" would send a reader the wrong way.
import { closest, distance } from 'fastest-levenshtein';

export interface SuggestOptions {
  /**
   * Suggest for a two-letter word one edit from exactly one candidate ("fr" for "for"): right
   * among a step's fields, wrong among every name an expression may read ("it" is not "int").
   */
  short?: boolean;
}

export function didYouMean(word: string, candidates: Iterable<string>, options: SuggestOptions = {}): string | undefined {
  // The name itself is never the suggestion: it is the one found wrong.
  const list = [...candidates].filter((c) => c !== word);
  if (list.length === 0) return undefined;
  const best = closest(word, list);
  const d = distance(word.toLowerCase(), best.toLowerCase());
  // Two edits are a typo in a long word but a different word when short ("<<" is not "id").
  if (d <= Math.max(2, Math.floor(word.length / 3)) && d < word.length - 1) return best;
  // A short name one edit away ("fr" for "for") is a typo when no other name is as close.
  if (options.short && d === 1 && word.length >= 2 && list.filter((c) => distance(word.toLowerCase(), c.toLowerCase()) === 1).length === 1) return best;
  // A word added or dropped: "lowercase" for "lower".
  const lower = word.toLowerCase();
  const nested = list.filter((c) => c.length >= 3 && (lower.includes(c.toLowerCase()) || c.toLowerCase().includes(lower)));
  return nested.length && lower.length >= 3 ? closest(word, nested) : undefined;
}

/** `did you mean "x"? ` followed by `rest`, or just `rest` when nothing is close. */
export function suggestion(word: string, candidates: Iterable<string>, rest = '', options: SuggestOptions = {}): string | undefined {
  const guess = didYouMean(word, candidates, options);
  const text = `${guess ? `did you mean "${guess}"? ` : ''}${rest}`.trim();
  return text || undefined;
}
