import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withBuildLock } from './build-lock.js';
import { formatElapsed, runLogged } from './command.js';
import { readGoModuleFacts } from './go-module.js';
import { findGoToolchain, type GoToolchain } from './go-toolchain.js';
import { BINARY_NAMES, binariesDir, controlPlaneCacheRoot, goModuleDir, type BinaryName } from './paths.js';

export interface ControlPlaneBinaries {
  binDir: string;
  /** The Kubernetes version the binaries report, e.g. "v1.34.4". */
  version: string;
}

export interface EnsureBinariesOptions {
  /** Receives one line per step; a cold build takes 10–25 minutes, so silence would look like a hang. */
  onProgress?: (message: string) => void;
}

// The binary is named after the last element of the package path, which for etcd is "v3".
const PACKAGES: Record<BinaryName, string> = {
  etcd: 'go.etcd.io/etcd/server/v3',
  'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
  'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  kubectl: 'k8s.io/kubernetes/cmd/kubectl',
};

const PROGRESS_INTERVAL_MS = 30_000;

export async function ensureControlPlaneBinaries(options: EnsureBinariesOptions = {}): Promise<ControlPlaneBinaries> {
  const progress = options.onProgress ?? (() => {});
  const moduleDir = goModuleDir();
  const { minimumGoVersion, kubernetesVersion } = readGoModuleFacts(moduleDir);

  let go: GoToolchain;
  try {
    go = findGoToolchain(minimumGoVersion, `the control plane (k8s.io/kubernetes ${kubernetesVersion})`);
  } catch (error) {
    // Binaries built earlier by any Go version serve as well; Go is only needed to make them.
    const cached = anyCompleteBinariesDir(kubernetesVersion);
    if (cached) return { binDir: cached, version: kubernetesVersion };
    throw error;
  }

  const binDir = binariesDir(kubernetesVersion, go.version);
  if (hasAllBinaries(binDir)) return { binDir, version: kubernetesVersion };

  const versionDir = dirname(binDir);
  mkdirSync(versionDir, { recursive: true });
  await withBuildLock(
    join(versionDir, 'build.lock'),
    (pid) => progress(`waiting for another control-plane build (pid ${pid}) to finish`),
    async () => {
      if (hasAllBinaries(binDir)) return; // the build we waited for made them
      await build({ go, moduleDir, kubernetesVersion, binDir, progress });
    },
  );
  return { binDir, version: kubernetesVersion };
}

interface BuildPlan {
  go: GoToolchain;
  moduleDir: string;
  kubernetesVersion: string;
  binDir: string;
  progress: (message: string) => void;
}

async function build(plan: BuildPlan): Promise<void> {
  const { go, moduleDir, kubernetesVersion, binDir, progress } = plan;
  // Build next to the final folder and rename at the end, so an interrupted build never
  // leaves a folder that looks complete.
  const partialDir = `${binDir}.partial`;
  const logFile = join(dirname(binDir), 'build.log');
  mkdirSync(partialDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOTOOLCHAIN: 'local', // never download another toolchain behind the user's back
    CGO_ENABLED: '0', // static binaries, no C compiler needed
    GOWORK: 'off',
    GOFLAGS: '-mod=readonly',
  };
  const started = Date.now();
  progress(`building the control plane ${kubernetesVersion} with go${go.version} (${go.goBinary}); log: ${logFile}`);

  await timedStep('go mod download', progress, () =>
    runLogged(go.goBinary, ['mod', 'download'], { cwd: moduleDir, env, logFile }),
  );
  for (const name of BINARY_NAMES) {
    const args = ['build', '-trimpath', '-ldflags', linkerFlags(kubernetesVersion), '-o', join(partialDir, name), PACKAGES[name]];
    await timedStep(`compile ${name}`, progress, () => runLogged(go.goBinary, args, { cwd: moduleDir, env, logFile }));
  }
  for (const name of BINARY_NAMES) verifyBinary(join(partialDir, name), name, kubernetesVersion);

  rmSync(binDir, { recursive: true, force: true });
  renameSync(partialDir, binDir);
  progress(`control plane ready in ${binDir} (${formatElapsed(Date.now() - started)})`);
}

/** Stamps the version the way Kubernetes' own release build does, so /version tells the truth. */
function linkerFlags(kubernetesVersion: string): string {
  const [major, minor] = kubernetesVersion.replace(/^v/, '').split('.');
  const pkg = 'k8s.io/component-base/version';
  return [
    '-s',
    '-w',
    `-X ${pkg}.gitVersion=${kubernetesVersion}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(' ');
}

async function timedStep(label: string, progress: (message: string) => void, action: () => Promise<void>): Promise<void> {
  const started = Date.now();
  progress(`${label} …`);
  const ticker = setInterval(() => progress(`${label} … still running (${formatElapsed(Date.now() - started)})`), PROGRESS_INTERVAL_MS);
  try {
    await action();
  } finally {
    clearInterval(ticker);
  }
  progress(`${label} done (${formatElapsed(Date.now() - started)})`);
}

/** Runs the binary's version command: proves it is complete, executable and stamped. */
export function verifyBinary(path: string, name: BinaryName, kubernetesVersion: string): void {
  const args = name === 'kubectl' ? ['version', '--client'] : ['--version'];
  const out = execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  if (name !== 'etcd' && !out.includes(kubernetesVersion)) {
    throw new Error(`${path} reports "${out.trim()}", expected ${kubernetesVersion}`);
  }
  if (name === 'etcd' && !/etcd Version: \d+\.\d+\.\d+/.test(out)) {
    throw new Error(`${path} reports "${out.trim()}", expected an etcd version`);
  }
}

function hasAllBinaries(binDir: string): boolean {
  return BINARY_NAMES.every((name) => {
    try {
      accessSync(join(binDir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function anyCompleteBinariesDir(kubernetesVersion: string): string | undefined {
  const root = controlPlaneCacheRoot();
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((entry) => entry.startsWith(`${kubernetesVersion}-go`))
    .map((entry) => join(root, entry, 'bin'))
    .find(hasAllBinaries);
}
