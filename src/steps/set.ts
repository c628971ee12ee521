// `set`: evaluate a CEL expression and register its value, to build what later steps apply or
// write from what earlier steps read (a transformed object, a list of names, a path). It reads
// nothing and changes nothing, so it runs in dry runs and after blocking findings alike.
import { StepFailure } from '../contract/errors.js';
import type { JsonSchema, StepType } from '../contract/step-type.js';
import { type InputOf } from './schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: {
    value: { type: 'string', minLength: 1, description: 'A CEL expression; its value is the step output.' },
  },
} as const satisfies JsonSchema;

type SetInput = InputOf<typeof INPUT>;

export const setStep: StepType<SetInput> = {
  name: 'set',
  summary: 'Evaluate a CEL expression (which may build maps and lists) and register its value for later steps.',
  description: [
    'The expression sees the vars, the registered outputs of earlier steps and, in loops, the',
    'current item. CEL builds maps (`{"name": x}`) and lists, and two helpers build an object from',
    'another: `mergePatch(object, patch)` applies a JSON merge patch (maps merge, `null` removes a',
    'key) and `dropKeys(map, regex)` leaves out the keys a regular expression matches. Register the',
    'value with `register:`; a value that is exactly `"{{ name }}"` in a later step input keeps its',
    'type, so an object built here can be given whole to `apply` or `writeFile`. The step reads',
    'nothing and changes nothing: it always ends `ok` and runs in dry runs too.',
  ].join(' '),
  input: INPUT,
  expressionFields: ['value'],
  examples: [
    `- name: Name the converted InferenceService
  set:
    value: 'naming == "original" ? isvc.metadata.name : isvc.metadata.name + "-raw"'
  register: newName`,
    `- name: Build the RawDeployment copy of the InferenceService
  set:
    value: >-
      mergePatch(isvc, {
        "metadata": {
          "name": newName,
          "annotations": mergePatch(dropKeys(isvc.metadata.?annotations.orValue({}), "istio|knative"),
                                    {"serving.kserve.io/deploymentMode": "RawDeployment"})
        },
        "status": null
      })
  register: rawIsvc`,
  ],
  dryRun: 'native',
  readOnly: true,
  async apply(ctx, input) {
    let value: unknown;
    try {
      value = ctx.evaluate(input.value);
    } catch (err) {
      throw new StepFailure(`set: ${(err as Error).message}`, { hint: `check the expression: ${input.value}` });
    }
    return { changed: false, output: value ?? null, summary: describe(value) };
  },
};

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') {
    const meta = (value as { kind?: unknown; metadata?: { name?: unknown } }).metadata;
    const kind = (value as { kind?: unknown }).kind;
    if (typeof kind === 'string' && typeof meta?.name === 'string') return `${kind} ${meta.name}`;
    const keys = Object.keys(value);
    return `a map of ${keys.length} key${keys.length === 1 ? '' : 's'}`;
  }
  const text = String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
