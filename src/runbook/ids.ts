// Stable step ids. Explicit ids are used as written; the others derive from the parent path and
// the step's name, so inserting a step elsewhere does not renumber its neighbours (a resume and a
// site overlay keep finding the steps they name).

export function slug(text: string): string {
  // Most names are ASCII, which has nothing to decompose: normalize is the costly part of a slug.
  const folded = isAscii(text) ? text.toLowerCase() : foldAccents(text.toLowerCase());
  const s = folded
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || 'step';
}

function isAscii(text: string): boolean {
  return /^\p{ASCII}*$/u.test(text);
}

function foldAccents(text: string): string {
  return text
    // Decomposed accents are dropped, so "Über" gives "uber", not "u-ber".
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss');
}

export class IdAllocator {
  private readonly used = new Set<string>();

  has(id: string): boolean {
    return this.used.has(id);
  }

  /** Reserves an explicit id; returns false when it is already taken. */
  claim(id: string): boolean {
    if (this.used.has(id)) return false;
    this.used.add(id);
    return true;
  }

  /** Derives an id under `parent` from `name`, adding -2, -3… when siblings share a name. */
  derive(parent: string, name: string): string {
    const base = parent ? `${parent}/${slug(name)}` : slug(name);
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
    this.used.add(id);
    return id;
  }
}
