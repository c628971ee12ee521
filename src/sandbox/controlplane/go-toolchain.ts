import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { compareVersions } from './go-module.js';

export interface GoToolchain {
  goBinary: string;
  /** e.g. "1.26.8" (without the "go" prefix). */
  version: string;
}

// Go's tarball installs to /usr/local/go, whose bin folder login shells add to PATH but CI
// runners and IDE-spawned processes often do not; so we look there too, after $GO and PATH.
function candidateGoBinaries(): string[] {
  const candidates: string[] = [];
  if (process.env.GO) candidates.push(process.env.GO);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'go'));
  if (process.env.GOROOT) candidates.push(join(process.env.GOROOT, 'bin', 'go'));
  candidates.push('/usr/local/go/bin/go');
  return [...new Set(candidates)].filter((path) => existsSync(path));
}

function goVersionOf(goBinary: string): string | undefined {
  try {
    // GOTOOLCHAIN=local: report this binary's own version rather than a toolchain it would fetch.
    const out = execFileSync(goBinary, ['env', 'GOVERSION'], {
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const match = /^go(\d+\.\d+(?:\.\d+)?)/.exec(out.trim());
    return match?.[1];
  } catch {
    return undefined;
  }
}

/** Finds a Go toolchain at least `minimumVersion`, or throws saying what is needed and where we looked. */
export function findGoToolchain(minimumVersion: string, purpose: string): GoToolchain {
  const found: string[] = [];
  for (const goBinary of candidateGoBinaries()) {
    const version = goVersionOf(goBinary);
    if (!version) continue;
    if (compareVersions(version, minimumVersion) >= 0) return { goBinary, version };
    found.push(`${goBinary} is go${version}`);
  }
  const where = 'looked at $GO, every PATH entry, $GOROOT/bin and /usr/local/go/bin';
  const seen = found.length > 0 ? ` Found only: ${found.join('; ')}.` : ' Found no go binary.';
  throw new Error(
    `Go ${minimumVersion} or newer is needed to build ${purpose} (${where}).${seen} ` +
      `Install Go from https://go.dev/dl/ (e.g. into /usr/local/go) or set GO=/path/to/bin/go.`,
  );
}
