// What the inference gateway runbook tests share: the runbooks' paths, a CLI run with its state in
// a folder of its own whose http checks reach the sandbox's endpoint server (curl-style connect-to,
// the sandbox CA), and what that server answered for the Gateway's address.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from '../../../src/sandbox/sandbox.js';
import { gatewayHost } from '../../../src/sandbox/simulator/inference-gateway.js';
import { type CliOptions, type CliRun, runCli } from './cli-run.js';

export const SIMPLE = 'runbooks/inference-gateway/simple.yaml';
export const ZERO_DOWNTIME = 'runbooks/inference-gateway/zero-downtime.yaml';
export const ASSESS = 'runbooks/inference-gateway/assess.yaml';
export const NS = 'llm';
export const ALPHA = 'vllm-llama3-8b-instruct-alpha';
export const GA = 'vllm-llama3-8b-instruct-ga';
export const HOST = gatewayHost('inference-gateway', NS);
export const POOL_ALPHA = { apiVersion: 'inference.networking.x-k8s.io/v1alpha2', kind: 'InferencePool' } as const;
export const POOL_V1 = { apiVersion: 'inference.networking.k8s.io/v1', kind: 'InferencePool' } as const;
export const ROUTE = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', name: 'llm-route', namespace: NS } as const;
export const OBJECTIVE = { apiVersion: 'inference.networking.x-k8s.io/v1alpha2', kind: 'InferenceObjective' } as const;
export const MODEL = { apiVersion: 'inference.networking.x-k8s.io/v1alpha2', kind: 'InferenceModel' } as const;
export const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;

/** Status codes of every request the sandbox's endpoint server answered for the Gateway's address, in order. */
export function gatewayStatuses(sandbox: Sandbox): number[] {
  return sandbox.simulator.endpoints.requests.filter((r) => r.host === HOST).map((r) => r.status);
}

export function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'runbook-igw-'));
}

/** `runbook run FILE` (or resume) against the sandbox, JSON events, every gate passed unless told. */
export function runbook(sandbox: Sandbox, args: string[], o: { state: string; vars?: Record<string, string>; onEvent?: CliOptions['onEvent']; yes?: boolean }): Promise<CliRun> {
  const vars = Object.entries(o.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}=${v}`]);
  const http = ['--connect-to', sandbox.http.connectTo, '--cacert', sandbox.http.caFile];
  return runCli([...args, '--kubeconfig', sandbox.controlPlane.kubeconfigPath, '--state-dir', o.state, ...http, ...(o.yes === false ? [] : ['--yes']), '-o', 'json', ...vars], {
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  });
}

/** Ids of the steps whose result was each status, in a run's events. */
export function stepsWith(run: CliRun, status: string): string[] {
  return run.events
    .filter((e) => e.type === 'node:end' && (e.node as { kind: string }).kind === 'step' && (e.result as { status: string }).status === status)
    .map((e) => (e.node as { id: string }).id);
}
