// What loading a runbook read from the disk: each file's bytes, each path whose existence was
// asked, each folder listed. A verdict remembered for these inputs (`runbook validate`'s cache)
// holds as long as every one of them reads the same again; anything the loader reads goes
// through here, or such a verdict could outlive a change.
//
// Reads are remembered as keyed digests (HMAC-SHA-256 under a key of the caller's), never as
// content: a vars file may hold a password, and a plain digest of a short one can be guessed.
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface InputRead {
  kind: 'file' | 'exists' | 'listing';
  path: string;
  /** Keyed digest of the bytes, of `true`/`false`, or of the sorted names. */
  digest: string;
}

let recording: { key: Buffer; reads: Map<string, InputRead> } | undefined;

/** Starts remembering what the loader reads, digested under `key`. */
export function recordInputs(key: Buffer): void {
  recording = { key, reads: new Map() };
}

/** What was read since recordInputs, and stops remembering. */
export function takeInputs(): InputRead[] {
  const reads = [...(recording?.reads.values() ?? [])];
  recording = undefined;
  return reads;
}

function digestOf(key: Buffer, data: Uint8Array | string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

function note(kind: InputRead['kind'], path: string, data: () => Uint8Array | string): void {
  if (recording) recording.reads.set(`${kind}\0${path}`, { kind, path, digest: digestOf(recording.key, data()) });
}

// The loader reads synchronously: a runbook's files are small and read one after another, and each
// asynchronous read is four trips through the thread pool; for the shipped upgrade's 45 files
// the loader sat idle ~40 ms waiting for them.

/** A file's bytes, remembered. A file that cannot be read is remembered as missing. */
export async function readInput(path: string): Promise<Buffer> {
  try {
    const bytes = readFileSync(path);
    note('file', path, () => bytes);
    return bytes;
  } catch (err) {
    note('exists', path, () => 'false');
    throw err;
  }
}

/** existsSync, remembered. */
export function inputExists(path: string): boolean {
  const exists = existsSync(path);
  note('exists', path, () => String(exists));
  return exists;
}

/** A folder's entry names, sorted, remembered. */
export async function listInput(dir: string): Promise<string[]> {
  try {
    const names = readdirSync(dir).sort();
    note('listing', dir, () => names.join('\0'));
    return names;
  } catch (err) {
    note('exists', dir, () => 'false');
    throw err;
  }
}

/** Whether every input reads as it did, digested under the same key (all read at once). */
export async function inputsUnchanged(reads: readonly InputRead[], key: Buffer): Promise<boolean> {
  const same = await Promise.all(
    reads.map(async (r) => {
      try {
        if (r.kind === 'file') return digestOf(key, await readFile(r.path)) === r.digest;
        if (r.kind === 'listing') return digestOf(key, (await readdir(r.path)).sort().join('\0')) === r.digest;
        return digestOf(key, String(existsSync(r.path))) === r.digest;
      } catch {
        return false;
      }
    }),
  );
  return same.every(Boolean);
}
