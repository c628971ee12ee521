// podExec, copyFromPod and copyToPod through the executor, against pods the simulated kubelet
// runs on the shared control plane: exec goes client → kube-apiserver (WebSocket, translated to
// SPDY) → kubelet, as on a cluster. Files on disk with their modes, the markers that make re-runs
// do nothing, missing pods and paths as notes, and what a dry run says.
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/types.js';
import { Kubelet } from '../../src/sandbox/kubelet/index.js';
import { podExecStep } from '../../src/steps/kube/pod-exec.js';
import { eventually, uniqueName } from './support/cluster.js';
import { createNamespace, deleteNamespace } from './support/objects.js';
import { adminKube, runStep, sideKube, stepContext } from './support/run-step.js';

const DATA = '/opt/app-root/src/.llama/distributions/rh';

describe('pod steps on the sandbox kubelet', () => {
  let kube: KubeClient;
  let kubelet: Kubelet;
  let ns: string;
  let scratch: string;
  let podsDir: string;

  const pod = (name: string, labels: Record<string, string>, containers: string[], annotations: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels, annotations },
    spec: { nodeName: kubelet.nodeName, containers: containers.map((c) => ({ name: c, image: 'registry.example/app:1' })) },
  });

  const running = (name: string): Promise<KubeObject> =>
    eventually(`pod ${name} Running`, async () => {
      const p = await kube.get({ apiVersion: 'v1', kind: 'Pod', name, namespace: ns });
      return (p?.status as { phase?: string } | undefined)?.phase === 'Running' ? p! : undefined;
    }, { timeoutMs: 30_000 });

  const root = (podName: string, container: string): string => kubelet.containerRoot(ns, podName, container);

  beforeAll(async () => {
    kube = adminKube();
    scratch = await mkdtemp(join(tmpdir(), 'runbook-pod-steps-'));
    podsDir = join(scratch, 'pods');
    kubelet = await Kubelet.start(sideKube(), { podsDir, nodeName: uniqueName('sandbox-node') });
    ns = await createNamespace(kube, 'pod-steps');
    await kube.create(pod('llama-0', { app: 'llama-stack', 'app.kubernetes.io/instance': 'llama' }, ['llama-stack']));
    await kube.create(pod('tas-0', { app: 'tas' }, ['trustyai-service', 'oauth-proxy']));
    await kube.create(pod('annotated', { app: 'annotated' }, ['sidecar', 'main'], { 'kubectl.kubernetes.io/default-container': 'main' }));
    // A pod of the selector that is not Running: never picked.
    await kube.create({ ...pod('llama-pending', { app: 'llama-stack', 'app.kubernetes.io/instance': 'llama' }, ['llama-stack']), spec: { containers: [{ name: 'llama-stack', image: 'x' }] } });
    await Promise.all(['llama-0', 'tas-0', 'annotated'].map(running));
    const data = join(root('llama-0', 'llama-stack'), DATA);
    await mkdir(join(data, 'files'), { recursive: true });
    await writeFile(join(data, 'kvstore.db'), Buffer.from([0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x00, 0xff, 0x00, 0x0a, 0x0d]));
    await writeFile(join(data, 'files', 'doc.txt'), 'a document\n');
    await mkdir(join(root('tas-0', 'trustyai-service'), 'inputs'), { recursive: true });
    await writeFile(join(root('annotated', 'main'), 'who'), 'main\n');
  });
  afterAll(async () => {
    await deleteNamespace(kube, ns);
    await kubelet?.stop();
    await kube.delete({ apiVersion: 'v1', kind: 'Node', name: kubelet.nodeName }).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  });

  describe('podExec', () => {
    it('runs argv in the container picked by selector and registers stdout, stderr and exit code', async () => {
      const run = await runStep('podExec', { namespace: ns, selector: { 'app.kubernetes.io/instance': 'llama' }, command: ['ls', DATA] });
      expect(run.error).toBeUndefined();
      expect(run.status).toBe('changed');
      expect(run.output).toEqual({ exitCode: 0, stdout: 'files\nkvstore.db\n', stderr: '', pod: 'llama-0', container: 'llama-stack' });
      expect(run.logs.join('\n')).toContain(`pod ${ns}/llama-0 (the one Running pod matching app.kubernetes.io/instance=llama), container llama-stack`);
    });

    it('a non-zero exit fails with the exit code and stderr; successCodes widen success', async () => {
      const failed = await runStep('podExec', { namespace: ns, pod: 'llama-0', command: ['cat', '/nope'] });
      expect(failed.status).toBe('failed');
      expect(failed.error).toBe(`command exited with 1 in pod ${ns}/llama-0: cat: /nope: No such file or directory`);
      const widened = await runStep('podExec', { namespace: ns, pod: 'llama-0', command: ['test', '-d', '/nope'], successCodes: [0, 1] });
      expect(widened.status).toBe('changed');
      expect((widened.output as { exitCode: number }).exitCode).toBe(1);
      const missing = await runStep('podExec', { namespace: ns, pod: 'llama-0', command: ['mariadb-dump', 'x'] });
      expect(missing.error).toBe(`command exited with 127 in pod ${ns}/llama-0: mariadb-dump: command not found`);
    });

    it('defaults to the annotated container, else the first', async () => {
      const annotated = await runStep('podExec', { namespace: ns, pod: 'annotated', command: ['cat', '/who'] });
      expect(annotated.output).toMatchObject({ stdout: 'main\n', container: 'main' });
      const first = await runStep('podExec', { namespace: ns, pod: 'tas-0', command: ['test', '-d', '/inputs'] });
      expect(first.output).toMatchObject({ exitCode: 0, container: 'trustyai-service' });
      const wrong = await runStep('podExec', { namespace: ns, pod: 'tas-0', container: 'nope', command: ['ls'] });
      expect(wrong.error).toBe(`pod ${ns}/tas-0 has no container "nope"; it has trustyai-service, oauth-proxy`);
    });

    it('saveStdout writes the bytes exactly, 0600 in a new 0700 folder; creates skips a re-run', async () => {
      const file = join(scratch, 'saved', 'deep', 'kvstore.db');
      const input = { namespace: ns, pod: 'llama-0', command: ['cat', `${DATA}/kvstore.db`], saveStdout: file, creates: file };
      const first = await runStep('podExec', input);
      expect(first.error).toBeUndefined();
      expect(first.output).toMatchObject({ exitCode: 0, savedTo: file, bytes: 11 });
      expect((first.output as { stdout?: string }).stdout).toBeUndefined();
      expect(await readFile(file)).toEqual(Buffer.from([0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x00, 0xff, 0x00, 0x0a, 0x0d]));
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(join(scratch, 'saved', 'deep'))).mode & 0o777).toBe(0o700);
      expect((await readdir(join(scratch, 'saved', 'deep'))).sort()).toEqual(['kvstore.db']);
      const second = await runStep('podExec', input);
      expect(second.status).toBe('ok');
      expect(second.result?.reason).toBe(`${file} exists`);
    });

    it('a failed command leaves no saved file behind', async () => {
      const file = join(scratch, 'failed.out');
      const run = await runStep('podExec', { namespace: ns, pod: 'llama-0', command: ['cat', '/nope'], saveStdout: file });
      expect(run.status).toBe('failed');
      expect(await readdir(scratch)).not.toContain('failed.out');
      expect((await readdir(scratch)).filter((f) => f.includes('partial'))).toEqual([]);
    });

    it('stdin reaches the command and is closed', async () => {
      const run = await runStep('podExec', { namespace: ns, pod: 'llama-0', command: ['cat'], stdin: 'line one\nline two\n' });
      expect(run.output).toMatchObject({ exitCode: 0, stdout: 'line one\nline two\n' });
    });

    it('no pod: fails, or with missingPodOk is skipped with a note', async () => {
      const failed = await runStep('podExec', { namespace: ns, selector: 'app=absent', command: ['ls'] });
      expect(failed.status).toBe('failed');
      expect(failed.error).toBe(`no Running pod in ${ns} matches app=absent`);
      const noted = await runStep('podExec', { namespace: ns, pod: 'llama-pending', command: ['ls'], missingPodOk: true });
      expect(noted.status).toBe('ok');
      expect(noted.result?.reason).toBe(`pod ${ns}/llama-pending is Pending, not Running: nothing to run (missingPodOk)`);
      expect(noted.output).toEqual({ skipped: true, reason: `pod ${ns}/llama-pending is Pending, not Running` });
    });

    it('a dry run runs nothing and says what it would run', async () => {
      const file = join(scratch, 'dry.out');
      const run = await runStep('podExec', { namespace: ns, pod: 'llama-0', command: ['cat', `${DATA}/kvstore.db`], saveStdout: file }, { dryRun: 'server' });
      expect(run.status).toBe('skipped');
      expect(run.logs).toContain(`would run ["cat","${DATA}/kvstore.db"] in pod ${ns}/llama-0, container llama-stack, saving stdout to ${file}`);
      expect(await stat(file).catch(() => undefined)).toBeUndefined();
    });

    it('secret values in the command and its output are masked', async () => {
      await writeFile(join(root('llama-0', 'llama-stack'), 'token'), 'the token is s3cr3t-value\n');
      const ctx = stepContext(kube);
      ctx.redact = (t) => t.replaceAll('s3cr3t-value', '********');
      const input = { namespace: ns, pod: 'llama-0', command: ['cat', '/token', '/s3cr3t-value'] };
      const err = (await podExecStep.apply(ctx, input).catch((e: Error) => e)) as Error;
      expect(err.message).toBe(`command exited with 1 in pod ${ns}/llama-0: cat: /********: No such file or directory`);
      expect(ctx.logs.join('\n')).not.toContain('s3cr3t-value');
      expect(ctx.logs.join('\n')).toContain('["cat","/token","/********"]');
      const ok = await podExecStep.apply(ctx, { namespace: ns, pod: 'llama-0', command: ['cat', '/token'] });
      expect((ok.output as { stdout: string }).stdout).toBe('the token is ********\n');
    });
  });

  describe('copyFromPod', () => {
    it('copies a folder with private modes, writes the marker last, and a re-run does nothing', async () => {
      const to = join(scratch, 'backup', 'llama', 'pod-data');
      const input = { namespace: ns, selector: 'app=llama-stack', container: 'llama-stack', path: `${DATA}/`, to };
      const first = await runStep('copyFromPod', input);
      expect(first.error).toBeUndefined();
      expect(first.status).toBe('changed');
      expect(first.output).toEqual({ files: 2, bytes: 22, pod: 'llama-0', container: 'llama-stack', path: DATA, to, refused: [] });
      expect((await readdir(to)).sort()).toEqual(['.runbook-copy.json', 'files', 'kvstore.db']);
      expect(await readFile(join(to, 'files', 'doc.txt'), 'utf8')).toBe('a document\n');
      expect(await readFile(join(to, 'kvstore.db'))).toEqual(await readFile(join(root('llama-0', 'llama-stack'), DATA, 'kvstore.db')));
      for (const f of ['kvstore.db', 'files/doc.txt', '.runbook-copy.json']) expect((await stat(join(to, f))).mode & 0o777).toBe(0o600);
      for (const d of ['', 'files']) expect((await stat(join(to, d))).mode & 0o777).toBe(0o700);
      const marker = JSON.parse(await readFile(join(to, '.runbook-copy.json'), 'utf8'));
      expect(marker).toMatchObject({ namespace: ns, pod: 'llama-0', container: 'llama-stack', path: DATA, files: 2, bytes: 22, refused: [] });

      const second = await runStep('copyFromPod', input);
      expect(second.status).toBe('ok');
      expect(second.result?.reason).toBe(`${to} already holds a copy of ${DATA} from pod ${ns}/llama-0 (.runbook-copy.json of ${marker.copiedAt})`);
      expect(second.output).toEqual(first.output);
    });

    it('a single file lands under its own name', async () => {
      const to = join(scratch, 'one-file');
      const run = await runStep('copyFromPod', { namespace: ns, pod: 'llama-0', path: `${DATA}/files/doc.txt`, to });
      expect(run.output).toMatchObject({ files: 1, bytes: 11 });
      expect(await readFile(join(to, 'doc.txt'), 'utf8')).toBe('a document\n');
    });

    it('a missing path fails, or with missingOk is a note and writes nothing', async () => {
      const to = join(scratch, 'missing-path');
      const failed = await runStep('copyFromPod', { namespace: ns, pod: 'tas-0', path: '/inputs/absent', to });
      expect(failed.error).toBe(`/inputs/absent does not exist in pod ${ns}/tas-0, container trustyai-service`);
      const noted = await runStep('copyFromPod', { namespace: ns, pod: 'tas-0', path: '/inputs/absent', to, missingOk: true });
      expect(noted.status).toBe('ok');
      expect(noted.result?.summary).toBe('skipped: /inputs/absent does not exist in tas-0 (missingOk)');
      expect(await stat(to).catch(() => undefined)).toBeUndefined();
    });

    it('a missing pod with missingPodOk is a note', async () => {
      const run = await runStep('copyFromPod', { namespace: ns, selector: { app: 'gone' }, path: '/data', to: join(scratch, 'gone'), missingPodOk: true });
      expect(run.status).toBe('ok');
      expect(run.result?.reason).toBe(`no Running pod in ${ns} matches app=gone: nothing to copy (missingPodOk)`);
    });

    it('entries escaping the target are refused and reported', async () => {
      const data = join(root('tas-0', 'trustyai-service'), 'inputs', 'odd');
      await mkdir(data, { recursive: true });
      await writeFile(join(data, 'ok.csv'), 'a,b\n');
      const { symlink } = await import('node:fs/promises');
      await symlink('/etc/passwd', join(data, 'abs-link'));
      await symlink('../../outside', join(data, 'up-link'));
      await symlink('ok.csv', join(data, 'in-link'));
      const to = join(scratch, 'odd');
      const run = await runStep('copyFromPod', { namespace: ns, pod: 'tas-0', path: '/inputs/odd', to });
      expect(run.error).toBeUndefined();
      expect((run.output as { refused: string[] }).refused.sort()).toEqual(['odd/abs-link -> /etc/passwd: the link points outside the target folder', 'odd/up-link -> ../../outside: the link points outside the target folder']);
      expect(run.logs).toContain('refused: odd/abs-link -> /etc/passwd: the link points outside the target folder');
      expect((await readdir(to)).sort()).toEqual(['.runbook-copy.json', 'in-link', 'ok.csv']);
      expect(run.result?.summary).toBe('copied 1 file (4 bytes) from tas-0:/inputs/odd, 2 entries refused');
    });
  });

  describe('copyToPod', () => {
    it('copies a folder into the container, marks it, skips a re-run, and copies again when the source changed', async () => {
      const from = join(scratch, 'restore-src');
      await mkdir(join(from, 'sub'), { recursive: true });
      await writeFile(join(from, 'model-data.csv'), 'x,y\n1,2\n');
      await writeFile(join(from, 'sub', 'meta.json'), '{"n":1}\n');
      await writeFile(join(from, '.runbook-copy.json'), '{"from":"an earlier copy"}\n');
      const input = { namespace: ns, selector: { app: 'tas' }, container: 'trustyai-service', from, path: '/inputs' };
      const first = await runStep('copyToPod', input);
      expect(first.error).toBeUndefined();
      expect(first.status).toBe('changed');
      expect(first.output).toEqual({ files: 2, bytes: 16, pod: 'tas-0', container: 'trustyai-service', path: '/inputs' });
      const inputs = join(root('tas-0', 'trustyai-service'), 'inputs');
      expect(await readFile(join(inputs, 'model-data.csv'), 'utf8')).toBe('x,y\n1,2\n');
      expect(await readFile(join(inputs, 'sub', 'meta.json'), 'utf8')).toBe('{"n":1}\n');
      expect(await stat(join(inputs, '.runbook-copy.json')).catch(() => undefined)).toBeUndefined();
      expect(JSON.parse(await readFile(join(inputs, '.runbook-restore.json'), 'utf8'))).toMatchObject({ files: 2, bytes: 16 });

      // The service writes on; a re-run must not put the old file back.
      await writeFile(join(inputs, 'model-data.csv'), 'x,y\n1,2\n3,4\n');
      const second = await runStep('copyToPod', input);
      expect(second.status).toBe('ok');
      expect(second.result?.reason).toMatch(/^tas-0:\/inputs already holds this copy of .*restore-src \(\/inputs\/\.runbook-restore\.json of /);
      expect(await readFile(join(inputs, 'model-data.csv'), 'utf8')).toBe('x,y\n1,2\n3,4\n');

      await writeFile(join(from, 'model-data.csv'), 'x,y\n5,6\n');
      const third = await runStep('copyToPod', input);
      expect(third.status).toBe('changed');
      expect(await readFile(join(inputs, 'model-data.csv'), 'utf8')).toBe('x,y\n5,6\n');
    });

    it('a round trip through copyFromPod gives the same bytes back', async () => {
      const to = join(scratch, 'roundtrip');
      await runStep('copyFromPod', { namespace: ns, pod: 'llama-0', path: DATA, to });
      const target = join(root('annotated', 'main'), 'restore');
      await mkdir(target, { recursive: true });
      const run = await runStep('copyToPod', { namespace: ns, pod: 'annotated', from: to, path: '/restore', marker: false });
      expect(run.status).toBe('changed');
      expect(await readFile(join(target, 'kvstore.db'))).toEqual(await readFile(join(root('llama-0', 'llama-stack'), DATA, 'kvstore.db')));
      expect((await readdir(target)).sort()).toEqual(['files', 'kvstore.db']);
    });

    it('unless: a command that succeeds in the container skips the copy', async () => {
      const from = join(scratch, 'restore-src');
      const run = await runStep('copyToPod', { namespace: ns, pod: 'tas-0', from, path: '/inputs', marker: false, unless: ['test', '-f', '/inputs/model-data.csv'] });
      expect(run.status).toBe('ok');
      expect(run.result?.reason).toBe('the unless command succeeded in tas-0');
    });

    it('a path that is not there fails with tar\'s words', async () => {
      const run = await runStep('copyToPod', { namespace: ns, pod: 'tas-0', from: join(scratch, 'restore-src'), path: '/nowhere' });
      expect(run.status).toBe('failed');
      expect(run.error).toContain(`tar exited with 2 in pod ${ns}/tas-0: tar: /nowhere: Cannot open: No such file or directory`);
    });
  });
});
