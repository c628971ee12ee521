// `query`: read one object, or every object a selector matches, into a registered variable, with
// an optional CEL `select` to keep only what later steps need.
import { StepFailure } from '../../contract/errors.js';
import type { JsonSchema, StepType } from '../../contract/step-type.js';
import { reads } from './permissions.js';
import { dropServerFields } from './server-fields.js';
import { TARGET_PROPERTIES, TARGET_REQUIRED } from './fragments.js';
import { describeTarget, resolveTargets, targetOf } from './target.js';
import { kubeOf } from '../services.js';
import { rememberListed } from './listed-copies.js';
import { type InputOf } from '../schema.js';

const INPUT = {
  type: 'object',
  additionalProperties: false,
  required: TARGET_REQUIRED,
  properties: {
    ...TARGET_PROPERTIES,
    select: { type: 'string', description: 'CEL over `object` (named) or `objects` (selector): the value to register.' },
    mustExist: { type: 'boolean', description: 'Fail when the named object does not exist.' },
  },
} as const satisfies JsonSchema;

type QueryInput = InputOf<typeof INPUT>;

export const queryStep: StepType<QueryInput> = {
  name: 'query',
  summary: 'Read an object or a selector\'s matches into a variable for later steps.',
  description:
    'With `name` the output is the object (null when absent, unless `mustExist`); with selectors it is the list of matches. `select` is a CEL expression over `object` or `objects` whose value becomes the output instead, e.g. `objects.filter(o, o.metadata.annotations[?"kubeflow-resource-stopped"] == optional.none()).map(o, o.metadata.name)`. Register the output with `register:`.',
  input: INPUT,
  expressionFields: ['select'],
  // The object read (with name) or the list matched (with selectors).
  expressionNames: { select: ['object', 'objects'] },
  examples: [
    `- name: Read the DSC
  query:
    apiVersion: datasciencecluster.opendatahub.io/v1
    kind: DataScienceCluster
    name: "{{ dscName }}"
  register: dsc`,
    `- name: Find running workbenches
  query:
    apiVersion: kubeflow.org/v1
    kind: Notebook
    allNamespaces: true
    select: >-
      objects.filter(n, !has(n.metadata.annotations) || !("kubeflow-resource-stopped" in n.metadata.annotations))
  register: runningNotebooks`,
  ],
  dryRun: 'native',
  permissions: (input) => reads(input),
  readOnly: true,
  async apply(ctx, input) {
    const target = targetOf(input);
    const listed = await resolveTargets(ctx, target);
    // A loop over these objects may write them next: see listed-copies.ts.
    if (!input.name) rememberListed(kubeOf(ctx), listed);
    const objects = listed.map((o) => dropServerFields(o));
    if (input.name && objects.length === 0 && input.mustExist) {
      throw new StepFailure(`${describeTarget(target)} does not exist`);
    }
    const raw = input.name ? (objects[0] ?? null) : objects;
    const output = input.select ? ctx.evaluate(input.select, input.name ? { object: raw } : { objects: raw }) : raw;
    const count = Array.isArray(output) ? `${output.length} item${output.length === 1 ? '' : 's'}` : output === null ? 'absent' : 'found';
    return { changed: false, output, summary: `${describeTarget(target)}: ${count}` };
  },
};
