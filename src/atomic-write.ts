// write-file-atomic, loaded by the first write: it loads worker_threads and modules of its own,
// which every start paid, a `validate` that writes nothing included.
import type { Options } from 'write-file-atomic';

export async function writeFileAtomic(path: string, data: string | Buffer, options?: Options): Promise<void> {
  const { default: write } = await import('write-file-atomic');
  await write(path, data, options);
}
