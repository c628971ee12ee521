// The built-in step types. The CLI builds its registry from this list.
import { StepRegistry } from '../engine/registry.js';
import type { AnyStepType } from '../engine/step-type.js';
import { assertStep } from './assert.js';
import { confirmStep } from './confirm.js';
import { execStep } from './exec.js';

export const BUILTIN_STEPS: readonly AnyStepType[] = [assertStep, confirmStep, execStep];

export function builtinRegistry(): StepRegistry {
  return new StepRegistry(BUILTIN_STEPS);
}
