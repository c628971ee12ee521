// The built-in step types. The CLI builds its registry from this list.
import { StepRegistry } from '../contract/registry.js';
import type { AnyStepType } from '../contract/step-type.js';
import { assertStep } from './assert.js';
import { confirmStep } from './confirm.js';
import { execStep } from './exec.js';
import { httpStep } from './http.js';
import { applyStep } from './kube/apply.js';
import { backupStep } from './kube/backup.js';
import { canIStep } from './kube/can-i.js';
import { copyFromPodStep, copyToPodStep } from './kube/copy-pod.js';
import { deleteStep } from './kube/delete.js';
import { patchStep } from './kube/patch.js';
import { podExecStep } from './kube/pod-exec.js';
import { queryStep } from './kube/query.js';
import { waitStep } from './kube/wait.js';
import { approveInstallPlanStep } from './olm/approve-install-plan.js';
import { installOperatorStep } from './olm/install-operator.js';
import { subscriptionStep } from './olm/subscription.js';
import { uninstallOperatorStep } from './olm/uninstall-operator.js';
import { setStep } from './set.js';
import { writeFileStep } from './write-file.js';

export const BUILTIN_STEPS: readonly AnyStepType[] = [
  applyStep,
  patchStep,
  deleteStep,
  waitStep,
  assertStep,
  queryStep,
  backupStep,
  canIStep,
  execStep,
  podExecStep,
  copyFromPodStep,
  copyToPodStep,
  confirmStep,
  httpStep,
  subscriptionStep,
  approveInstallPlanStep,
  installOperatorStep,
  uninstallOperatorStep,
  setStep,
  writeFileStep,
];

export function builtinRegistry(): StepRegistry {
  return new StepRegistry(BUILTIN_STEPS);
}
