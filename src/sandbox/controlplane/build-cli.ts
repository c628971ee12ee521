// Entry of `npm run controlplane:build`: builds (or finds cached) control-plane binaries.
import { ensureControlPlaneBinaries } from './build.js';

try {
  const { binDir, version } = await ensureControlPlaneBinaries({
    onProgress: (message) => console.log(`[controlplane] ${message}`),
  });
  console.log(`[controlplane] ${version} binaries in ${binDir}`);
} catch (error) {
  console.error(`[controlplane] build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
