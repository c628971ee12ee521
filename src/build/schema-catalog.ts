// Every JSON Schema of runbook's own that the loader checks input against: what the build compiles
// to code (schema-validators.ts) and what a test checks against the JSON Schema meta-schema.
import type { JsonSchema } from '../contract/step-type.js';
import { FOR_EACH_NODE, IMPORT_NODE } from '../runbook/build-nodes.js';
import { COMMON_NODE } from '../runbook/common-fields.js';
import { RUNBOOK_SPEC } from '../runbook/format.js';
import { GUIDE_ITEMS_FORMAT } from '../runbook/guide-items.js';
import { SCENARIO_SCHEMA } from '../sandbox/scenario/format.js';
import { BUILTIN_STEPS } from '../steps/index.js';

/** Each schema by a name that says where it comes from. */
export function ownSchemas(): Record<string, JsonSchema> {
  return {
    'runbook file': RUNBOOK_SPEC,
    'guide items file': GUIDE_ITEMS_FORMAT,
    'sandbox scenario': SCENARIO_SCHEMA,
    'common step fields': COMMON_NODE,
    'import node': IMPORT_NODE,
    'forEach node': FOR_EACH_NODE,
    ...Object.fromEntries(BUILTIN_STEPS.map((t) => [`step type ${t.name}`, t.input])),
  };
}
