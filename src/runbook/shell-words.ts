// Command-line arguments held in one string, as workbenches keep them in the NOTEBOOK_ARGS
// environment variable: words split the way a POSIX shell splits them (blanks and newlines
// separate; single quotes, double quotes and backslashes keep a blank inside a word), without any
// expansion. Runbooks read them (`shellSplit`, `hasOption`) and take one option out of them
// (`dropOption`) while every other byte of the value stays as it was written: the dashboard's
// one-argument-per-line layout, quotes and all.
//
// A value whose quotes do not pair cannot be a shell word list. The notebook images' start scripts
// expand NOTEBOOK_ARGS unquoted (`jupyter lab ${NOTEBOOK_PROGRAM_ARGS}`), which splits on blanks and
// keeps quote characters as they are, so such a value is read that way instead of failing.

/** A word of the value: its text once quotes and backslashes are taken out, and where it is written. */
export interface ShellWord {
  text: string;
  start: number;
  end: number;
}

const BLANK = new Set([' ', '\t', '\n', '\r']);
/** The characters a backslash escapes inside double quotes (POSIX 2.2.3); before any other it is kept. */
const DQ_ESCAPABLE = new Set(['$', '`', '"', '\\', '\n']);

/** The words of `value`, with their offsets in it. */
export function shellWords(value: string): ShellWord[] {
  return quotedWords(value) ?? blankWords(value);
}

/** Shell quoting; undefined when a quote is not closed or a backslash ends the value. */
function quotedWords(value: string): ShellWord[] | undefined {
  const words: ShellWord[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    if (BLANK.has(value[i]!)) {
      i++;
      continue;
    }
    const start = i;
    let text = '';
    while (i < n && !BLANK.has(value[i]!)) {
      const c = value[i]!;
      if (c === "'") {
        const close = value.indexOf("'", i + 1);
        if (close < 0) return undefined;
        text += value.slice(i + 1, close);
        i = close + 1;
      } else if (c === '"') {
        i++;
        for (;;) {
          if (i >= n) return undefined;
          const d = value[i]!;
          if (d === '"') {
            i++;
            break;
          }
          if (d === '\\' && i + 1 < n && DQ_ESCAPABLE.has(value[i + 1]!)) {
            // Backslash-newline inside double quotes joins the lines.
            if (value[i + 1] !== '\n') text += value[i + 1];
            i += 2;
          } else {
            text += d;
            i++;
          }
        }
      } else if (c === '\\') {
        if (i + 1 >= n) return undefined;
        if (value[i + 1] !== '\n') text += value[i + 1];
        i += 2;
      } else {
        text += c;
        i++;
      }
    }
    words.push({ text, start, end: i });
  }
  return words;
}

function blankWords(value: string): ShellWord[] {
  return [...value.matchAll(/[^ \t\n\r]+/g)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
}

/** The words of `value`, quotes taken out: the argument list a shell would pass on. */
export function shellSplit(value: string): string[] {
  return shellWords(value).map((w) => w.text);
}

/** Whether `value` gives the option `name`, as `name=value` or as `name` (followed by its value). */
export function hasOption(value: string, name: string): boolean {
  return shellWords(value).some((w) => isOption(w.text, name));
}

function isOption(text: string, name: string): boolean {
  return text === name || text.startsWith(`${name}=`);
}

/**
 * `value` without the option `name` (an option that takes a value: `name=value` is one word,
 * `name value` two), every occurrence of it. Each word taken out goes with the blanks before it
 * (after it, when it is the first word), so the words around it keep their own separators and
 * everything else is left byte for byte. A value that does not give the option comes back as it is.
 */
export function dropOption(value: string, name: string): string {
  const words = shellWords(value);
  const drop = new Set<number>();
  for (let i = 0; i < words.length; i++) {
    const text = words[i]!.text;
    if (text.startsWith(`${name}=`)) drop.add(i);
    else if (text === name) {
      drop.add(i);
      if (i + 1 < words.length) drop.add(++i);
    }
  }
  if (drop.size === 0) return value;
  const cuts: [number, number][] = [];
  for (const i of drop) {
    const word = words[i]!;
    if (i > 0) cuts.push([words[i - 1]!.end, word.end]);
    else {
      let next = i + 1;
      while (next < words.length && drop.has(next)) next++;
      cuts.push([word.start, next < words.length ? words[next]!.start : value.length]);
    }
  }
  cuts.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [from, to] of cuts) {
    if (from > at) out += value.slice(at, from);
    at = Math.max(at, to);
  }
  return out + value.slice(at);
}
