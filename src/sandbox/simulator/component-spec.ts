// What the RHOAI operator reads off a DSC's spec per component (rhoai-operator.ts runs it): whether
// the component is enabled, the Ready verdict of one that is not, its CR's spec and the extra
// status fields some components report.
import type { Release } from '../webhooks/admission.js';
import { type Component, MODELS_AS_SERVICE_KSERVE_DISABLED_MESSAGE, removedMessage } from './components.js';

export type Spec = Record<string, Record<string, unknown> | undefined>;

export interface Verdict {
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  severity?: string;
}

/** An empty or missing managementState counts as Removed (3.3 components.go:25 NormalizeManagementState). */
export function normalise(state: unknown): string {
  return typeof state === 'string' && state !== '' ? state : 'Removed';
}

export function isEnabled(c: Component, spec: Spec, release: Release): boolean {
  const state = (key: string): string => normalise(spec[key]?.managementState);
  switch (c.name) {
    case 'kueue':
      return state('kueue') === 'Managed' || state('kueue') === 'Unmanaged';
    case 'modelcontroller':
      return state('kserve') === 'Managed' || (release === '2.25' && state('modelmeshserving') === 'Managed');
    case 'modelsasservice':
      return state('kserve') === 'Managed' && normalise((spec.kserve?.modelsAsService as { managementState?: string } | undefined)?.managementState) === 'Managed';
    default:
      return c.key !== undefined && state(c.key) === 'Managed';
  }
}

export function disabledVerdict(c: Component, spec: Spec): Verdict {
  if (c.name === 'modelsasservice' && normalise(spec.kserve?.managementState) !== 'Managed') {
    return { status: 'False', reason: 'KServeDisabled', message: MODELS_AS_SERVICE_KSERVE_DISABLED_MESSAGE, severity: 'Info' };
  }
  const state = c.key ? normalise(spec[c.key]?.managementState) : 'Removed';
  return { status: 'False', reason: state, message: removedMessage(state), severity: 'Info' };
}

/** What a component's CR spec carries: its DSC entry without the management state. */
export function componentCrSpec(c: Component, spec: Spec): Record<string, unknown> {
  if (c.name === 'modelcontroller') return { kserve: { managementState: normalise(spec.kserve?.managementState) }, modelRegistry: { managementState: normalise(spec.modelregistry?.managementState) } };
  if (c.name === 'modelsasservice' || !c.key) return {};
  const { managementState: _state, ...rest } = spec[c.key] ?? {};
  return rest;
}

/** Component-specific status fields (dashboard url, namespaces). */
export function statusExtras(key: string, spec: Record<string, unknown> | undefined, release: Release, applicationsNamespace: string): Record<string, unknown> {
  if (normalise(spec?.managementState) !== 'Managed') return {};
  if (key === 'workbenches') return { workbenchNamespace: String(spec?.workbenchNamespace ?? 'rhods-notebooks') };
  if (key === 'modelregistry') return { registriesNamespace: String(spec?.registriesNamespace ?? 'rhoai-model-registries') };
  // 2.25 dashboard_support.go:41-45: https://rhods-dashboard-<applications namespace>.<domain>. (3.3
  // serves it on the gateway's domain, which the sandbox does not simulate: no url there.)
  if (key === 'dashboard' && release === '2.25') return { url: `https://rhods-dashboard-${applicationsNamespace}.apps.sandbox.example.com` };
  return {};
}
