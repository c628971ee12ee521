// A manual gate as a step of its own: "users were told and their work is saved", "the backup was
// taken and tested". The executor asks for approval before it runs (see StepType.gate).
import type { JsonSchema, StepType } from '../contract/step-type.js';
import { type InputOf } from './schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: { message: { type: 'string', minLength: 1, description: 'The question put to the person running the runbook.' } },
} as const satisfies JsonSchema;

type ConfirmInput = InputOf<typeof INPUT>;

export const confirmStep: StepType<ConfirmInput> = {
  name: 'confirm',
  summary: 'Stop for a person to confirm a manual precondition before the run goes on.',
  description: [
    'On a terminal the question is asked and answered there. Without one, the run stops with',
    'exit code 4 ("waiting for approval") and resumes from this step with',
    '`runbook resume RUN-ID --approve STEP-ID`. Inside a loop each item has its own gate, named with',
    "the item's key: `--approve 'STEP-ID[ITEM-KEY]'`, or `--approve 'STEP-ID[*]'` for every item",
    '(`runbook status RUN-ID` lists the gates a run waits for in that form). `--yes` passes every',
    'gate. A gate passed once is recorded in the run state and not asked again on resume. Dry runs',
    'pass gates without asking.',
  ].join(' '),
  input: INPUT,
  examples: [
    `- name: Users were told and saved their work
  id: workbench-users-notified
  confirm:
    message: All workbench users were told about the upgrade window and saved their work.`,
  ],
  dryRun: 'native',
  readOnly: true,
  gate: (input) => input.message,
  async apply() {
    return { changed: false, summary: 'confirmed' };
  },
};
