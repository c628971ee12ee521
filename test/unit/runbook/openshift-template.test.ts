// processTemplate in CEL: an OpenShift Template's objects as `oc process` makes them — declared
// parameters substituted (given values over defaults, ${{X}} as JSON), undeclared references left,
// hard-coded namespaces dropped, the Template's labels added, generated and required parameters
// without a value refused.
import { describe, expect, it } from 'vitest';
import { ExpressionError, evaluate } from '../../../src/runbook/expressions.js';

const template = {
  apiVersion: 'template.openshift.io/v1',
  kind: 'Template',
  metadata: { name: 'kserve-custom', namespace: 'redhat-ods-applications' },
  labels: { 'template.openshift.io/from': '${FROM}' },
  parameters: [
    { name: 'IMAGE', value: 'quay.io/ovms:1' },
    { name: 'FROM', value: 'kserve-custom' },
    { name: 'REPLICAS', value: '2' },
    { name: 'EXTRA' },
  ],
  objects: [
    {
      apiVersion: 'serving.kserve.io/v1alpha1',
      kind: 'ServingRuntime',
      metadata: { name: 'custom', namespace: 'somewhere', labels: { keep: 'yes' }, annotations: { 'image-${FROM}': '${IMAGE}' } },
      spec: {
        replicas: '${{REPLICAS}}',
        containers: [
          {
            name: 'kserve-container',
            image: '${IMAGE}',
            args: ['--model_name={{.Name}}', '--extra=${EXTRA}', 'echo ${HOME} ${UNDECLARED}'],
            ports: [{ containerPort: 8888 }],
          },
        ],
      },
    },
  ],
};

describe('processTemplate', () => {
  it('substitutes declared parameters, keeps the rest, drops a hard-coded namespace and adds the labels', () => {
    const out = evaluate('processTemplate(t, {"IMAGE": "quay.io/ovms:2"})', { t: template }) as Record<string, unknown>[];
    expect(out).toEqual([
      {
        apiVersion: 'serving.kserve.io/v1alpha1',
        kind: 'ServingRuntime',
        metadata: {
          name: 'custom',
          labels: { keep: 'yes', 'template.openshift.io/from': 'kserve-custom' },
          annotations: { 'image-kserve-custom': 'quay.io/ovms:2' },
        },
        spec: {
          replicas: 2,
          containers: [
            {
              name: 'kserve-container',
              image: 'quay.io/ovms:2',
              args: ['--model_name={{.Name}}', '--extra=', 'echo ${HOME} ${UNDECLARED}'],
              ports: [{ containerPort: 8888 }],
            },
          ],
        },
      },
    ]);
  });

  it('works on the result in CEL: whole numbers are ints again', () => {
    expect(evaluate('processTemplate(t, {})[0].spec.containers[0].ports[0].containerPort == 8888', { t: template })).toBe(true);
    expect(evaluate('processTemplate(t, {}).filter(o, o.kind == "ServingRuntime").size()', { t: template })).toBe(1);
  });

  it('keeps a namespace made of a parameter', () => {
    const t = { kind: 'Template', metadata: { name: 'ns' }, parameters: [{ name: 'NS', value: 'team' }], objects: [{ kind: 'ConfigMap', metadata: { name: 'x', namespace: '${NS}' } }] };
    expect(evaluate('processTemplate(t, {})', { t })).toEqual([{ kind: 'ConfigMap', metadata: { name: 'x', namespace: 'team' } }]);
  });

  it('refuses a generated parameter without a value, and a required one left empty', () => {
    const t = { ...template, parameters: [{ name: 'TOKEN', generate: 'expression', from: '[a-z]{8}' }, { name: 'MUST', required: true }] };
    expect(() => evaluate('processTemplate(t, {})', { t })).toThrow(ExpressionError);
    expect(() => evaluate('processTemplate(t, {})', { t })).toThrow(/TOKEN is generated.*MUST is required/);
    expect(evaluate('size(processTemplate(t, {"TOKEN": "abc", "MUST": "x"}))', { t })).toBe(1);
  });

  it('a Template without parameters gives its objects as they are', () => {
    const t = { kind: 'Template', metadata: { name: 'plain' }, objects: [{ kind: 'ServingRuntime', metadata: { name: 'a' }, spec: { multiModel: false } }] };
    expect(evaluate('processTemplate(t, {})', { t })).toEqual([{ kind: 'ServingRuntime', metadata: { name: 'a' }, spec: { multiModel: false } }]);
  });
});
