// Extracting a tar stream from a container into a local folder, made safe and private as
// copyFromPod promises: nothing lands outside the folder (no absolute or `..` names, no links
// pointing out, no writing through links), devices and fifos are skipped, files are 0600 and
// folders 0700, and the copy marker an archive may carry is never overwritten.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, lstat, mkdir, readlink, realpath, rename, rm, symlink } from 'node:fs/promises';
import { dirname, join, posix, sep } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ReadEntry } from 'tar';
import { tarModule } from './tar-module.js';

/** The marker copyFromPod writes last into the local folder; an archive entry of that name is left out. */
export const COPY_MARKER = '.runbook-copy.json';

export interface ExtractSummary {
  entries: number;
  files: number;
  bytes: number;
  refused: string[];
}

/**
 * Extracts a tar stream into `to`. With `base`, the archive was made with `-C <parent> <base>`:
 * `<base>/x` lands as `x` and a file named `<base>` as itself. Resolves `done` once every entry is
 * written; `sink` is where the archive bytes go.
 */
export function extractArchive(to: string, options: { base?: string } = {}): { sink: Writable; done: Promise<ExtractSummary> } {
  const summary: ExtractSummary = { entries: 0, files: 0, bytes: 0, refused: [] };
  const links: string[] = [];
  const regular = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  const parser = new (tarModule().Parser)({
    onReadEntry: (entry: ReadEntry) => {
      summary.entries++;
      chain = chain.then(() => writeEntry(entry)).catch((err: Error) => {
        failure ??= err;
        entry.resume();
      });
    },
    onwarn: (_code, message) => summary.refused.push(`archive: ${String(message)}`),
  });
  const parsed = new Promise<void>((res, rej) => {
    parser.on('end', () => res());
    parser.on('error', (err: Error) => rej(err));
  });

  const relativeName = (raw: string): string | undefined => {
    let name = raw.replace(/\/+$/, '');
    if (name.startsWith('/')) return undefined;
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    const base = options.base;
    if (base && base !== '.') {
      if (parts[0] !== base) return undefined;
      if (parts.length === 1) return ''; // the folder itself, or the file copied (handled by the caller)
      parts.shift();
    }
    name = parts.join('/');
    if (parts.some((p) => p === '..')) return undefined;
    return name;
  };

  const throughLink = async (rel: string): Promise<boolean> => {
    // No component of the parent chain inside `to` may be a link: writing through one could land anywhere.
    const parts = rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const st = await lstat(join(to, ...parts.slice(0, i))).catch(() => undefined);
      if (st?.isSymbolicLink()) return true;
    }
    return false;
  };

  async function writeEntry(entry: ReadEntry): Promise<void> {
    const raw = entry.path;
    let rel = relativeName(raw);
    if (rel === '' && options.base && entry.type !== 'Directory') rel = options.base; // a single file copied
    if (rel === undefined) {
      summary.refused.push(`${raw}: outside the target folder`);
      entry.resume();
      return;
    }
    if (rel === '') {
      entry.resume();
      return;
    }
    if (rel === COPY_MARKER) {
      entry.resume();
      return;
    }
    const dest = join(to, ...rel.split('/'));
    if (await throughLink(rel)) {
      summary.refused.push(`${raw}: would be written through a link`);
      entry.resume();
      return;
    }
    switch (entry.type) {
      case 'Directory':
        await mkdir(dest, { recursive: true, mode: 0o700 });
        entry.resume();
        return;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile': {
        await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
        const temporary = join(dirname(dest), `.${randomBytes(6).toString('hex')}.partial`);
        const out = createWriteStream(temporary, { mode: 0o600, flags: 'wx' });
        entry.pipe(out);
        await finished(out);
        await rename(temporary, dest);
        regular.add(rel);
        summary.files++;
        summary.bytes += entry.size;
        return;
      }
      case 'SymbolicLink': {
        entry.resume();
        const target = entry.linkpath ?? '';
        const lexical = posix.normalize(posix.join(posix.dirname(rel), target));
        if (target.startsWith('/') || lexical === '..' || lexical.startsWith('../')) {
          summary.refused.push(`${raw} -> ${target}: the link points outside the target folder`);
          return;
        }
        await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
        await rm(dest, { force: true });
        await symlink(target, dest);
        links.push(rel);
        return;
      }
      case 'Link': {
        entry.resume();
        const target = relativeName(entry.linkpath ?? '');
        if (!target || !regular.has(target)) {
          summary.refused.push(`${raw} => ${entry.linkpath}: a hard link to a file outside the copy`);
          return;
        }
        await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
        await rm(dest, { force: true });
        await link(join(to, ...target.split('/')), dest);
        regular.add(rel);
        summary.files++;
        return;
      }
      default:
        summary.refused.push(`${raw}: ${entry.type} entries are not copied`);
        entry.resume();
    }
  }

  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (parser.write(chunk)) cb();
      else parser.once('drain', () => cb());
    },
    final(cb) {
      parser.end();
      cb();
    },
  });
  const done = (async () => {
    await finished(sink);
    await parsed;
    await chain;
    if (failure) throw failure;
    // A link may point inside by its name and outside in fact (through another link): check where it lands.
    const root = await realpath(to);
    for (const rel of links) {
      const at = join(to, ...rel.split('/'));
      const real = await realpath(at).catch(() => undefined);
      if (real !== undefined && real !== root && !real.startsWith(root + sep)) {
        const target = await readlink(at).catch(() => '?');
        await rm(at, { force: true });
        summary.refused.push(`${rel} -> ${target}: the link resolves outside the target folder`);
      }
    }
    return summary;
  })();
  // Keep an early failure from being unhandled before the caller awaits `done`.
  done.catch(() => undefined);
  return { sink, done };
}
