// Starts one real control plane (etcd, kube-apiserver, kube-controller-manager) for all
// integration tests. Builds the binaries first if the cache lacks them: the first run on a
// machine takes 10–25 minutes, later runs reuse ~/.cache/runbook/controlplane.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureControlPlaneBinaries } from '../../src/sandbox/controlplane/build.js';
import { startControlPlane, type ControlPlane } from '../../src/sandbox/controlplane/launcher.js';
import { KUBECONFIG_ENV, VIEWER_KUBECONFIG_ENV } from './support/provided.js';

type InstallCrds = (kubeconfigPath: string) => Promise<void>;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (message: string) => console.log(`[controlplane] ${message}`);
  let binDir: string;
  try {
    ({ binDir } = await ensureControlPlaneBinaries({ onProgress: log }));
  } catch (error) {
    // Never skip: integration tests without a control plane would prove nothing.
    throw new Error(`integration tests need a real control plane, and building it failed: ${message(error)}`);
  }

  const started = Date.now();
  const controlPlane: ControlPlane = await startControlPlane({ binDir });
  log(`${controlPlane.version} ready at ${controlPlane.server} in ${Date.now() - started} ms (dir ${controlPlane.dir})`);
  try {
    const installCrds = await loadInstallCrds();
    if (installCrds) await installCrds(controlPlane.kubeconfigPath);
  } catch (error) {
    await controlPlane.stop();
    throw new Error(`installing the sandbox CRDs failed: ${message(error)}`);
  }

  process.env[KUBECONFIG_ENV] = controlPlane.kubeconfigPath;
  process.env[VIEWER_KUBECONFIG_ENV] = controlPlane.viewerKubeconfigPath;
  project.provide('runbookKubeconfig', controlPlane.kubeconfigPath);
  project.provide('runbookViewerKubeconfig', controlPlane.viewerKubeconfigPath);

  return async () => {
    await controlPlane.stop();
  };
}

// The CRD bundle is developed separately; until src/sandbox/crds exists the control plane
// simply starts without it. Its agreed interface: installCrds(kubeconfigPath): Promise<void>.
async function loadInstallCrds(): Promise<InstallCrds | undefined> {
  const moduleUrl = new URL('../../src/sandbox/crds/index.ts', import.meta.url);
  if (!existsSync(fileURLToPath(moduleUrl))) return undefined;
  const specifier = '../../src/sandbox/crds/index.js';
  const module = (await import(/* @vite-ignore */ specifier)) as { installCrds?: unknown };
  if (typeof module.installCrds !== 'function') {
    throw new Error('src/sandbox/crds/index.ts does not export installCrds(kubeconfigPath)');
  }
  return module.installCrds as InstallCrds;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
