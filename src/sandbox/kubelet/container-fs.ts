// The filesystem of a simulated container: a folder on the host, <pods dir>/<namespace>/<pod>/
// <container>/, that holds the container's absolute paths (/opt/app-root/src is
// <root>/opt/app-root/src). Paths are resolved as a chroot would: `..` stops at the root and a
// symbolic link to an absolute path points inside the container, never at the host.
import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';

export function containerRoot(podsDir: string, namespace: string, pod: string, container: string): string {
  for (const part of [namespace, pod, container]) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(part)) throw new Error(`not a valid Kubernetes name: ${JSON.stringify(part)}`);
  }
  return join(podsDir, namespace, pod, container);
}

export function podDir(podsDir: string, namespace: string, pod: string): string {
  return join(podsDir, namespace, pod);
}

/** A container path made absolute against the working directory (`/` in a fresh exec) and normalized. */
export function absolute(path: string, cwd = '/'): string {
  return posix.normalize(posix.isAbsolute(path) ? path : posix.join(cwd, path));
}

const MAX_LINKS = 40;

/**
 * The host path of a container path, following symbolic links inside the container (the last
 * component too unless `followLast` is false). Components that do not exist are kept as they are,
 * so the result also names files about to be created.
 */
export async function hostPath(root: string, path: string, followLast = true): Promise<string> {
  const pending = absolute(path).split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const isLast = pending.length === 0;
    const st = await lstat(candidate).catch(() => undefined);
    if (st?.isSymbolicLink() && (followLast || !isLast)) {
      if (++links > MAX_LINKS) throw Object.assign(new Error('Too many levels of symbolic links'), { code: 'ELOOP' });
      const target = await readlink(candidate);
      if (posix.isAbsolute(target)) resolved.length = 0;
      pending.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}
