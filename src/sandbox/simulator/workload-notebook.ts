// The notebook controller's rule: a workbench's StatefulSet pod, stopped workbenches, and under 3.x
// the redirect loop of a workbench still on oauth-proxy.
import { type Rule, ann, cond, containersOf, labelValue, namePrefix, refusalOf } from './workload-rule.js';

export const STOPPED_ANNOTATION = 'kubeflow-resource-stopped';
export const OAUTH_FINALIZER = 'notebook-oauth-client-finalizer.opendatahub.io';

export const notebook: Rule = {
  ref: { apiVersion: 'kubeflow.org/v1', kind: 'Notebook' },
  // The notebook controller runs the workbench as a StatefulSet of one pod, <name>-0, whose template
  // is the Notebook's spec.template (red-hat-data-services/kubeflow, branch rhoai-3.3,
  // components/notebook-controller/controllers/notebook_controller.go generateStatefulSet); a stopped
  // workbench has 0 replicas. Labels as generateStatefulSet sets them.
  podsOf(obj) {
    if (ann(obj, STOPPED_ANNOTATION) !== undefined) return [];
    const name = obj.metadata.name!;
    return [{ role: 'workbench', generateName: namePrefix(name), labels: { statefulset: labelValue(name), 'notebook-name': labelValue(name) }, template: (obj.spec as { template?: unknown } | undefined)?.template }];
  },
  status(obj, _facts, major3, pods) {
    if (ann(obj, STOPPED_ANNOTATION) !== undefined) {
      return { readyReplicas: 0, containerState: {}, conditions: [cond('Ready', false, 'Stopped', 'The workbench is stopped')] };
    }
    const refused = refusalOf(pods);
    if (refused) {
      // The StatefulSet controller's FailedCreate event, which the notebook controller re-emits on the
      // Notebook (notebook_controller.go: events of its StatefulSet and pods are re-emitted); k8s
      // pkg/controller/statefulset/stateful_pod_control.go words it "create Pod <pod> in StatefulSet
      // <set> failed error: <the API server's answer>". No pod, so no container state.
      const name = obj.metadata.name!;
      return { readyReplicas: 0, containerState: {}, conditions: [cond('Ready', false, 'FailedCreate', `create Pod ${name}-0 in StatefulSet ${name} failed error: ${refused.refused}`)] };
    }
    const containers = containersOf((obj.spec as { template?: { spec?: unknown } } | undefined)?.template?.spec);
    const oauth = containers.some((c) => c.name === 'oauth-proxy') || ann(obj, 'notebooks.opendatahub.io/inject-oauth') === 'true';
    if (major3 && (oauth || ann(obj, 'notebooks.opendatahub.io/inject-auth') !== 'true')) {
      return {
        readyReplicas: 1,
        containerState: { running: { startedAt: '2026-01-01T00:00:00Z' } },
        conditions: [cond('Ready', false, 'RedirectLoop', 'ERR_TOO_MANY_REDIRECTS: the workbench still uses oauth-proxy; migrate it to the 3.x authentication (inject-auth) and restart it')],
      };
    }
    return { readyReplicas: 1, containerState: { running: { startedAt: '2026-01-01T00:00:00Z' } }, conditions: [cond('Ready', true, 'Running', 'The workbench is running')] };
  },
  async finalize(obj, rt, major3) {
    // The 2.x controller cleans up its OAuthClient and removes its finalizer; 3.x no longer does.
    if (!obj.metadata.deletionTimestamp || major3 || !obj.metadata.finalizers?.includes(OAUTH_FINALIZER)) return;
    await rt.kube.patch(
      { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name!, namespace: obj.metadata.namespace! },
      'merge',
      { metadata: { finalizers: obj.metadata.finalizers.filter((f) => f !== OAUTH_FINALIZER) } },
    );
  },
};
