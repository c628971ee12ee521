// A unified diff of two texts, line by line (LCS), with hunks and context like `diff -u`.
// Kubernetes objects are a few hundred lines, so the quadratic table is fine; the common head
// and tail are cut off first so that typical one-field changes cost almost nothing.

type Op = { kind: ' ' | '-' | '+'; line: string };

function diffLines(a: string[], b: string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  // lcs[i][j] = length of the LCS of x[i..] and y[j..]
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const middle: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      middle.push({ kind: ' ', line: x[i]! });
      i++;
      j++;
    } else if (j < y.length && (i >= x.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      middle.push({ kind: '+', line: y[j++]! });
    } else {
      middle.push({ kind: '-', line: x[i++]! });
    }
  }
  // Within a changed block show removals before additions, as `diff -u` does.
  const ordered: Op[] = [];
  let block: Op[] = [];
  const flush = (): void => {
    ordered.push(...block.filter((o) => o.kind === '-'), ...block.filter((o) => o.kind === '+'));
    block = [];
  };
  for (const op of middle) {
    if (op.kind === ' ') {
      flush();
      ordered.push(op);
    } else block.push(op);
  }
  flush();
  return [
    ...a.slice(0, head).map((line) => ({ kind: ' ' as const, line })),
    ...ordered,
    ...a.slice(a.length - tail).map((line) => ({ kind: ' ' as const, line })),
  ];
}

/** `diff -u` style text; empty string when the texts are equal. */
export function unifiedDiff(before: string, after: string, fromLabel = 'before', toLabel = 'after', context = 3): string {
  if (before === after) return '';
  const split = (s: string): string[] => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));
  const ops = diffLines(split(before), split(after));
  const changed = ops.map((o, i) => (o.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return '';
  // Group changes whose context windows touch into hunks.
  const hunks: [number, number][] = [];
  for (const at of changed) {
    const start = Math.max(0, at - context);
    const end = Math.min(ops.length - 1, at + context);
    const prev = hunks[hunks.length - 1];
    if (prev && start <= prev[1] + 1) prev[1] = end;
    else hunks.push([start, end]);
  }
  const out = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  for (const [start, end] of hunks) {
    let aLine = 1;
    let bLine = 1;
    for (let k = 0; k < start; k++) {
      if (ops[k]!.kind !== '+') aLine++;
      if (ops[k]!.kind !== '-') bLine++;
    }
    const slice = ops.slice(start, end + 1);
    const aCount = slice.filter((o) => o.kind !== '+').length;
    const bCount = slice.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aCount ? aLine : aLine - 1},${aCount} +${bCount ? bLine : bLine - 1},${bCount} @@`);
    for (const o of slice) out.push(`${o.kind}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}
