// The order problems are reported in: by file (the root first, then imports as met), then by
// position, so a reader can walk a file from the top. Repeats are dropped: an imported file is
// checked once per import.
import type { Problem } from '../contract/errors.js';

export function inFileOrder(problems: readonly Problem[]): Problem[] {
  const files: string[] = [];
  for (const p of problems) if (p.at && !files.includes(p.at.file)) files.push(p.at.file);
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.at?.file}:${p.at?.line}:${p.at?.column}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const rank = (p: Problem): [number, number, number] => (p.at ? [files.indexOf(p.at.file), p.at.line, p.at.column] : [-1, 0, 0]);
  return unique
    .map((p, i) => ({ p, i, r: rank(p) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2] || a.i - b.i)
    .map(({ p }) => p);
}
