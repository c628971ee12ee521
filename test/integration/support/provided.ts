// Values the integration global setup hands to every test file through vitest's provide/inject.
declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig (system:masters) of the shared control plane. */
    runbookKubeconfig: string;
    /** Kubeconfig of a user bound only to the built-in `view` ClusterRole. */
    runbookViewerKubeconfig: string;
  }
}

/** The same paths as environment variables, for code under test that reads the environment. */
export const KUBECONFIG_ENV = 'RUNBOOK_TEST_KUBECONFIG';
export const VIEWER_KUBECONFIG_ENV = 'RUNBOOK_TEST_VIEWER_KUBECONFIG';
