import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive } from './pids.js';

// Two test runs (or a test run and `npm run controlplane:build`) may want the binaries at once;
// a second concurrent cold build would double a 20-minute job and race on the output folder.
export async function withBuildLock<T>(
  lockFile: string,
  onWait: (holderPid: number) => void,
  action: () => Promise<T>,
): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8').trim());
      if (!Number.isInteger(holder) || holder <= 0 || !isProcessAlive(holder)) {
        rmSync(lockFile, { force: true }); // left behind by a build that was killed
        continue;
      }
      if (!announced) onWait(holder);
      announced = true;
      await sleep(2000);
    }
  }
  try {
    return await action();
  } finally {
    rmSync(lockFile, { force: true });
  }
}
