// Every malformed runbook under test/fixtures/invalid is rejected with exactly the problems listed
// here, in order: where (line:column in that file, or path:line:column for an imported file),
// what (a substring of the message) and, where the fix is not obvious, how (a substring of the
// hint). Adding a case is one file plus one line in the table.
import { readdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../../../src/contract/errors.js';
import { StepRegistry } from '../../../src/contract/registry.js';
import type { StepType } from '../../../src/contract/step-type.js';
import { DURATION } from '../../../src/runbook/format.js';
import { loadRunbook } from '../../../src/runbook/loader.js';
import { BUILTIN_STEPS } from '../../../src/steps/index.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/invalid');

/** A step type with nested objects, an enum, a duration and an expression field. */
const scaleDemo: StepType = {
  name: 'scaleDemo',
  summary: 'Scale a workload (a test type with a nested schema).',
  input: {
    type: 'object',
    additionalProperties: false,
    required: ['target', 'replicas'],
    properties: {
      target: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'name'],
        properties: {
          kind: { enum: ['Deployment', 'StatefulSet'] },
          name: { type: 'string', minLength: 1 },
          namespace: { type: 'string' },
        },
      },
      replicas: { type: 'integer', minimum: 0, description: 'How many pods.' },
      wait: { ...DURATION, description: 'How long to wait for the new pods.' },
      condition: { type: 'string', description: 'CEL over the scaled object.' },
    },
  },
  expressionFields: ['condition'],
  examples: [],
  dryRun: 'native',
  async apply() {
    return { changed: false };
  },
};

const registry = new StepRegistry([...BUILTIN_STEPS, scaleDemo]);

/** [where, message substring, hint substring?] */
type Expected = [at: string, message: string, hint?: string];

const CEL_HINT = 'expressions use CEL syntax';
const NOT_TEMPLATE = 'YAML read it as a mapping, not a template';

const cases: Record<string, Expected[]> = {
  // YAML itself
  'yaml-bad-indent.yaml': [['11:10', 'YAML syntax: All mapping items must start at the same column', 'check the indentation']],
  'yaml-tab.yaml': [['8:1', 'YAML syntax: Tabs are not allowed as indentation', 'spaces, not tabs']],
  'yaml-unclosed-quote.yaml': [['6:11', 'YAML syntax: the quote " opened here is never closed', 'close it']],
  'yaml-duplicate-key.yaml': [['9:9', 'YAML syntax: duplicate key "name"', 'each key may appear once']],
  'yaml-alias-without-anchor.yaml': [['8:23', 'YAML: the alias *nothing refers to no anchor', 'mark the value to repeat with &nothing']],
  'yaml-unclosed-flow-map.yaml': [['8:14', 'YAML syntax: the mapping { opened here is never closed', 'close it with }']],
  'cel-unknown-function.yaml': [['8:24', 'step "Compare versions" (set): unknown function "semverGreater" in expression', 'the functions:']],
  'wait-expression-syntax.yaml': [
    ['13:70', 'step "Wait for the ConfigMap" (wait): invalid expression', 'CEL syntax'],
    ['15:43', 'unknown function "orValu" in expression', 'did you mean "orValue"?'],
  ],
  'step-rules-in-schema.yaml': [
    ['8:78', 'step "Two forms" (wait): "for" does not match any allowed form', 'Exactly one of: ready'],
    ['10:78', '"for" must have property value when property jsonpath is present'],
    ['12:9', 'step "A script" (exec): missing required field "shell"', 'set shell: true'],
    ['14:94', 'missing required field "patch[0].value"'],
    ['14:128', '"patch[1].op" must be one of'],
    ['14:142', '"patch[1].path" has the wrong form', 'JSON pointer'],
    ['16:93', 'step "Not a list" (patch): "patch" must be a list', 'RFC 6902'],
  ],
  // A semver range that does not parse matches no version: the step would wait for ever.
  'approve-install-plan-version.yaml': [
    ['8:102', 'step "Bad range" (approveInstallPlan): "version" is not a valid semver range', 'semver range over CSV versions'],
    ['10:102', 'step "Not a range" (approveInstallPlan): "version" is not a valid semver range'],
    ['12:129', 'step "Both csv and version" (approveInstallPlan): "version" is not allowed here', 'give csv or version, not both'],
  ],
  'patch-list-edit-actions.yaml': [
    ['8:86', 'step "No action" (patch): "listEdits[0]" does not match any allowed form: give exactly one of remove: true; replace: …; add: …'],
    ['10:86', 'step "Two actions" (patch): "listEdits[0]" does not match any allowed form: give exactly one of remove'],
    ['12:86', 'step "Remove false" (patch): "listEdits[0]" does not match any allowed form: give exactly one of remove'],
  ],
  'patch-shape-by-type.yaml': [
    ['8:81', 'step "Merge patch as a list" (patch): "patch" must be a mapping', 'a list of operations needs type: json'],
    ['10:98', 'step "Strategic patch as a list" (patch): "patch" must be a mapping', 'a list of operations needs type: json'],
    ['12:93', 'step "JSON patch as an object" (patch): "patch" must be a list', 'RFC 6902'],
  ],
  'wait-count-named.yaml': [
    ['8:87', 'step "Count one object" (wait): "for.count" is not allowed here', 'count is for selector targets'],
    ['10:116', 'step "Fail on a count of one object" (wait): "failWhen[0].count" is not allowed here', 'count is for selector targets'],
  ],
  'write-file-forms.yaml': [
    ['8:58', 'step "Text of an object" (writeFile): "content" must be a string', 'With format text: a string'],
    ['10:68', 'step "Text of an object in a list" (writeFile): "files[0].content" must be a string', 'With format text: a string'],
    ['12:20', 'step "Path without content" (writeFile): "writeFile" does not match any allowed form: give one of path and content; files'],
  ],
  'pod-target-forms.yaml': [
    ['8:18', 'step "No pod" (podExec): "podExec" does not match any allowed form: give exactly one of pod, selector'],
    ['10:18', 'step "Pod and selector" (podExec): "podExec" does not match any allowed form: give exactly one of pod, selector'],
    ['12:22', 'step "Copy from no pod" (copyFromPod): "copyFromPod" does not match any allowed form: give exactly one of pod, selector'],
  ],
  'cel-call-style.yaml': [
    ['9:40', 'step "Global orValue": invalid expression: orValue is not called like that: write x.orValue(y)'],
    ['10:51', 'step "Receiver semverGte": invalid expression: semverGte is not called like that: write semverGte(x, y)'],
    ['11:69', 'step "Global startsWith": invalid expression: startsWith is not called like that: write x.startsWith(y)'],
    ['12:42', 'step "Size of a number": invalid expression: size(int): size takes size(string) or size(bytes)'],
  ],
  // One typo reported once: no "missing required field" for the field the typo was meant to be.
  'typo-reported-once.yaml': [
    ['8:17', 'step "Run" (exec): unknown field "comand"', 'did you mean "command"?'],
    ['10:34', 'step "List" (query): unknown field "knd"', 'did you mean "kind"?'],
    ['12:79', 'step "Wait" (wait): unknown field "fr"', 'did you mean "for"?'],
  ],
  // A mis-indented line is one problem, never a "duplicate key" nothing duplicates.
  // An unquoted template as a key: said as such, not as the parser's follow-on "Map comment".
  'yaml-template-as-key.yaml': [['17:13', 'a mapping key starting with "{{" must be quoted', 'write the key in quotes']],
  'yaml-template-as-first-key.yaml': [['13:13', 'a mapping key starting with "{{" must be quoted', 'write the key in quotes']],
  'yaml-no-invented-duplicate-key.yaml': [['10:8', 'YAML syntax: Sequence item without - indicator', 'check the indentation']],
  'loop-var-outside-loop.yaml': [
    ['12:15', 'step "Outside": unknown name "it" in expression'],
    ['13:39', 'step "Outside" (exec): unknown variable "it" in template'],
  ],
  'apply-template-missing.yaml': [['8:28', 'step "Deploy the settings" (apply): template settings/configmap.yaml: no such file', 'relative to the runbook file']],
  'register-read-before-set.yaml': [['7:9', 'step "Use the count" reads "count" before any step registers it: step "Count the items"', 'move the step that registers it before this one']],
  'invalid-utf8.yaml': [['7:17', 'the file is not UTF-8: byte ff', 'save the file as UTF-8']],
  'unquoted-template.yaml': [['13:20', NOT_TEMPLATE, 'key: "{{ name }}"']],
  'unquoted-template-in-list.yaml': [['12:40', NOT_TEMPLATE, 'quotes']],
  'template-with-suffix-unquoted.yaml': [['12:24', 'YAML syntax:', 'must be quoted as a whole']],
  'multiple-documents.yaml': [['4:1', 'YAML syntax: a runbook file holds one YAML document', 'remove the "---" line']],
  // The document
  'empty-file.yaml': [['1:1', 'the file is empty', 'apiVersion: runbook.dev/v1, kind: Runbook']],
  'not-a-mapping.yaml': [['1:1', 'the file holds a list, not a runbook', 'steps go under sections:']],
  'missing-api-version.yaml': [['1:1', 'runbook: missing required field "apiVersion"', 'runbook.dev/v1']],
  'wrong-api-version.yaml': [['1:13', 'runbook: "apiVersion" must be "runbook.dev/v1"']],
  'wrong-kind.yaml': [['2:7', 'the file is a Playbook, not a Runbook', 'kind: Runbook']],
  'missing-metadata-name.yaml': [['3:1', 'runbook: missing required field "metadata.name"', 'lower-case letters']],
  'bad-metadata-name.yaml': [['4:9', 'runbook: "metadata.name" has the wrong form', 'e.g. upgrade-2-25-to-3-3']],
  'unknown-top-level-field.yaml': [['5:1', 'runbook: unknown field "section"', 'did you mean "sections"?']],
  'section-bad-name.yaml': [['6:11', 'runbook: "sections[0].name" has the wrong form', 'Lower-case letters, digits and "-"']],
  'section-unknown-field.yaml': [['7:5', 'runbook: unknown field "sections[0].step"', 'did you mean "steps"?']],
  'top-level-problems-and-steps.yaml': [
    ['4:9', 'runbook: "metadata.name" has the wrong form'],
    ['9:9', 'step "Run": unknown step type "exce"', 'did you mean "exec"?'],
  ],
  // Vars
  'var-default-wrong-type.yaml': [['8:14', 'var "replicas": default "three" is not a number', 'declare the var as type: string']],
  'secret-var-default.yaml': [['8:14', 'var "token" is secret but has a default value', 'pass the value at run time']],
  'unknown-var-type.yaml': [['7:11', 'runbook: "vars.replicas.type" must be one of "string", "number"', 'number (integers too)']],
  'var-not-a-mapping.yaml': [['5:7', 'runbook: "vars.ns" must be a mapping', 'dscName: { default: default-dsc }']],
  'bad-var-name.yaml': [['6:3', 'runbook: the name "dsc-name" under "vars" has the wrong form', 'dscName, not dsc-name']],
  'var-default-uses-later-var.yaml': [['6:31', 'var "url": unknown variable "host" in template', 'declare "host" before this var']],
  'missing-required-var.yaml': [['6:3', 'missing required var "cluster" (the cluster to upgrade)', '--var cluster=VALUE']],
  // `{{ log }}` calls the log helper and renders empty: a name a helper takes is refused.
  'var-named-like-helper.yaml': [['7:3', 'var "log" has the name of a template helper: "{{ log }}" would call the helper, not read the value', 'rename it, e.g. "logValue"']],
  'names-taken-by-helpers.yaml': [
    ['10:19', 'register "json" has the name of a template helper', 'these names are taken by helpers: and, base64'],
    ['12:45', 'forEach.as "each" has the name of a template helper', 'rename it, e.g. "eachValue"'],
  ],
  // Step shapes
  'step-not-mapping.yaml': [['8:9', 'step "Check the cluster" is text, but a step is a mapping', 'write - name: Check the cluster']],
  'step-empty-item.yaml': [['8:8', 'empty step', 'remove the lone "-"']],
  'step-without-name.yaml': [['8:9', 'step: missing required field "name"', '"name": What the step does']],
  'step-no-type.yaml': [['8:9', 'step "Check": no step type', 'add one of:']],
  'unknown-step-type-asert.yaml': [['9:9', 'step "Check": unknown step type "asert"', 'did you mean "assert"?']],
  'unknown-step-type-exce.yaml': [['9:9', 'step "Run": unknown step type "exce"', 'did you mean "exec"?']],
  'two-step-types.yaml': [['10:9', 'step "Check": a step has exactly one type, found "assert" and "exec"', 'split it into two steps']],
  'type-with-steps.yaml': [['9:9', 'step "Check": "assert" cannot be combined with "steps"', 'inside the group']],
  'confirm-mapping-with-steps.yaml': [['9:9', 'step "Replace the models": "confirm" cannot be combined with "steps"', 'give the question as a string: confirm: "…"']],
  'vars-without-import.yaml': [['9:9', 'step "Group": "vars" is only allowed together with "import"', 'imported runbook']],
  'empty-steps.yaml': [['9:16', 'step "Group": "steps" must be a non-empty list of steps', 'or remove the group']],
  'foreach-without-steps.yaml': [['9:9', 'step "Each": "forEach" needs "steps"', 'add steps:']],
  'foreach-bad-as.yaml': [['11:15', 'step "Each": "forEach.as" has the wrong form', 'letters, digits and _']],
  'foreach-missing-items.yaml': [['9:9', 'step "Each": missing required field "forEach.items"', 'a literal list']],
  'foreach-items-syntax-error.yaml': [['9:49', 'step "Each": invalid expression: unexpected end of expression', CEL_HINT]],
  'foreach-unknown-loop-var.yaml': [['12:41', 'step "Inner" (exec): unknown variable "item" in template', 'loop variables here: ns']],
  // Common fields
  'unknown-common-field.yaml': [['9:9', 'step "Run": unknown field "retires"', 'did you mean "retries"?']],
  'common-field-and-unknown-type.yaml': [
    ['9:9', 'step "Run": unknown field "retires"', 'did you mean "retries"?'],
    ['10:9', 'step "Run": unknown step type "exce"', 'did you mean "exec"?'],
  ],
  'retries-not-integer.yaml': [['9:18', 'step "Run": "retries" must be an integer']],
  'retries-negative.yaml': [['9:18', 'step "Run": "retries" must be at least 0']],
  'bad-timeout.yaml': [['9:18', 'step "Run": "timeout" has the wrong form', 'A duration such as 30s, 5m, 1h30m']],
  'bad-backoff-field.yaml': [['12:11', 'step "Run": unknown field "backoff.factr"', 'did you mean "factor"?']],
  'bad-register-name.yaml': [['9:19', 'step "Run": "register" has the wrong form', 'e.g. ocVersion']],
  'duplicate-step-id.yaml': [
    ['12:13', 'duplicate step id "check": step "First" at duplicate-step-id.yaml:9:13 has it too', 'rename one of them'],
  ],
  'bad-step-id.yaml': [['9:13', 'step "Run": "id" has the wrong form', 'lower-case letters, digits']],
  'when-syntax-error.yaml': [['9:34', 'step "Run": invalid expression: unexpected end of expression', CEL_HINT]],
  'until-syntax-error.yaml': [['9:34', 'step "Run": invalid expression: unexpected end of expression', CEL_HINT]],
  'when-boolean.yaml': [['8:15', 'step "x": "when" must be a string', 'quote it to make it a string: "false"']],
  'when-unknown-name.yaml': [['12:15', 'step "Run": unknown name "replica" in expression', 'did you mean "replicas"?']],
  'until-unknown-var-field.yaml': [['12:45', 'step "Run": unknown var "vars.mdoe" in expression', 'did you mean "vars.mode"?']],
  'foreach-key-unknown-name.yaml': [['9:57', 'step "Each": unknown name "m" in expression', 'expressions read vars']],
  // Expression fields of step types: the names the step adds (object, objects) and no others.
  'step-expression-unknown-names.yaml': [
    ['11:115', 'step "Read the ConfigMaps" (query): unknown name "objekt" in expression', 'did you mean "object"?'],
    ['19:31', 'step "Wait for it" (wait): unknown name "objct" in expression', 'here also object, objects'],
    ['19:53', 'step "Wait for it" (wait): unknown var "vars.nss" in expression', 'did you mean "vars.ns"?'],
    ['21:48', 'step "Wait for it" (wait): unknown name "fialed" in expression'],
    ['28:37', 'step "Check" (assert): unknown name "cmss" in expression', 'did you mean "cms"?'],
    ['38:59', 'step "Label unless labelled" (patch): unknown name "nsNme" in expression', 'did you mean "nsName"?'],
    ['41:40', 'step "Count" (set): unknown name "object" in expression', 'expressions read vars'],
  ],
  'when-template.yaml': [['11:15', 'step "Run": expressions are CEL, not templates: remove the {{ }}', 'vars.dscName == "default-dsc"']],
  // Templates
  'template-unknown-var.yaml': [['12:44', 'step "Run" (exec): unknown variable "namespce" in template', 'did you mean "namespace"?']],
  'template-unknown-vars-field.yaml': [['11:55', 'step "Run" (exec): unknown var "vars.namespce" in template', 'did you mean "vars.namespace"?']],
  'template-unknown-var-in-if.yaml': [['12:55', 'step "Run" (exec): unknown variable "verbosity" in template', 'did you mean "verbose"?']],
  'template-unknown-helper.yaml': [['12:44', 'step "Run" (exec): unknown template helper "lowercase"', 'did you mean "lower"?']],
  'template-syntax-error.yaml': [['12:47', 'step "Run" (exec): template syntax: unexpected "}": expected "}}"', 'templates are handlebars']],
  'template-block-unclosed.yaml': [['12:37', 'step "Run" (exec): template syntax: {{#if}} is not closed: add {{/if}}']],
  // Step inputs
  'assert-missing-message.yaml': [['9:9', 'step "Check" (assert): missing required field "message"', '"message":']],
  'assert-unknown-field.yaml': [['12:11', 'step "Check" (assert): unknown field "severty"', 'did you mean "severity"?']],
  'assert-bad-severity.yaml': [['12:21', 'step "Check" (assert): "severity" must be one of "prohibited", "critical", "warning", "info"']],
  'assert-that-syntax-error.yaml': [['10:30', 'step "Check" (assert): invalid expression: unexpected end of expression', CEL_HINT]],
  'literal-block-expression.yaml': [['12:34', 'step "Check" (assert): invalid expression: unexpected character "="', CEL_HINT]],
  'exec-command-wrong-type.yaml': [['10:20', 'step "Run" (exec): "command" must be a list or a string', 'argv as a list']],
  'exec-parsejson-wrong-type.yaml': [['11:22', 'step "Run" (exec): "parseJson" must be a boolean']],
  'exec-env-not-string.yaml': [['12:22', 'step "Run" (exec): "env.RETRIES" must be a string', 'quote it to make it a string: "3"']],
  'scale-missing-nested.yaml': [['10:11', 'step "Scale" (scaleDemo): missing required field "target.name"']],
  'scale-nested-unknown.yaml': [['10:50', 'step "Scale" (scaleDemo): unknown field "target.namespce"', 'did you mean "namespace"?']],
  'scale-bad-enum.yaml': [['10:27', 'step "Scale" (scaleDemo): "target.kind" must be one of "Deployment", "StatefulSet"']],
  'scale-wrong-type.yaml': [['11:21', 'step "Scale" (scaleDemo): "replicas" must be an integer', 'How many pods.']],
  'scale-bad-wait.yaml': [['12:17', 'step "Scale" (scaleDemo): "wait" has the wrong form', 'A duration such as 30s']],
  'scale-bad-condition.yaml': [['12:45', 'step "Scale" (scaleDemo): invalid expression: unexpected end of expression', CEL_HINT]],
  // Imports
  'import-missing-file.yaml': [['9:17', 'import "imports/does-not-exist.yaml": file not found', 'relative to the importing file']],
  'top-import-missing-file.yaml': [['6:11', 'import "imports/nope.yaml": file not found', 'relative to the importing file']],
  'import-cycle.yaml': [
    ['imports/cycle-b.yaml:9:17', 'import cycle: import-cycle.yaml → imports/cycle-b.yaml → import-cycle.yaml', 'may not import itself'],
  ],
  'top-import-cycle.yaml': [
    ['imports/top-cycle-b.yaml:6:11', 'import cycle: top-import-cycle.yaml → imports/top-cycle-b.yaml → top-import-cycle.yaml'],
  ],
  'import-binding-loop-var.yaml': [['13:36', 'import binding "namespace": unknown variable "ns" in template', 'rendered before the run']],
  'import-unknown-binding.yaml': [['12:11', 'import of imports/checks.yaml: it declares no var "namepsace"', 'did you mean "namespace"?']],
  'import-required-unbound.yaml': [
    ['9:17', 'import of imports/checks.yaml: missing required var "namespace" (where the operator runs)', 'vars: { namespace:'],
  ],
  'import-vars-not-mapping.yaml': [['10:15', 'step "Shared checks": "vars" must be a mapping']],
  'import-binding-unknown-var.yaml': [['13:26', 'import binding "namespace": unknown variable "nss" in template', 'did you mean "ns"?']],
  'imported-file-has-errors.yaml': [['imports/broken.yaml:9:9', 'step "Typo": unknown step type "exce"', 'did you mean "exec"?']],
  'imported-uses-importer-var.yaml': [
    ['imports/uses-ns.yaml:9:50', 'step "List pods" (exec): unknown variable "ns" in template', 'is a var of the importing runbook'],
  ],
  // One pass reports everything, in file order
  'several-problems.yaml': [
    ['6:38', 'var "replicas": default "many" is not a number'],
    ['11:9', 'step "Check": unknown step type "asert"', 'did you mean "assert"?'],
    ['13:18', 'step "Run": "retries" must be at least 0'],
    ['16:31', 'step "Later": invalid expression: unexpected end of expression'],
    ['17:35', 'step "Later" (exec): unknown variable "replica" in template', 'did you mean "replicas"?'],
  ],
};

function where(file: string, p: Problem): string {
  if (!p.at) return '(no position)';
  const rel = relative(dir, p.at.file);
  return `${rel === file ? '' : `${rel}:`}${p.at.line}:${p.at.column}`;
}

describe('validation corpus', () => {
  it('has an expectation for every fixture and a fixture for every expectation', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(Object.keys(cases).sort());
    expect(files.length).toBeGreaterThanOrEqual(45);
  });

  for (const [file, expected] of Object.entries(cases)) {
    it(file, async () => {
      const { plan, problems } = await loadRunbook(resolve(dir, file), { registry, provided: {} });
      expect(plan).toBeUndefined();
      const got = problems.map((p) => ({ at: where(file, p), message: p.message, hint: p.hint ?? '' }));
      expect(got.map((g) => g.at)).toEqual(expected.map((e) => e[0]));
      for (const [i, [, message, hint]] of expected.entries()) {
        expect(got[i]!.message).toContain(message);
        if (hint) expect(got[i]!.hint).toContain(hint);
      }
    });
  }

  it('missing-required-var.yaml loads once the var is provided', async () => {
    const { plan, problems } = await loadRunbook(resolve(dir, 'missing-required-var.yaml'), {
      registry,
      provided: { cluster: 'prod' },
    });
    expect(problems).toEqual([]);
    expect(plan?.name).toBe('demo');
  });

  it('a did-you-mean never suggests the name found wrong', async () => {
    for (const file of Object.keys(cases)) {
      const { problems } = await loadRunbook(resolve(dir, file), { registry, provided: {} });
      for (const p of problems) {
        const guess = /did you mean "([^"]+)"/.exec(p.hint ?? '')?.[1];
        if (guess) expect(p.message, file).not.toMatch(new RegExp(`"${guess.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
      }
    }
  });

  it('a hint never spans lines: the CLI indents only its first line', async () => {
    for (const file of Object.keys(cases)) {
      const { problems } = await loadRunbook(resolve(dir, file), { registry, provided: {} });
      for (const p of problems) expect(`${p.message} ${p.hint ?? ''}`).not.toContain('\n');
    }
  });
});
