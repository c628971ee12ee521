import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export interface KubeconfigSpec {
  server: string;
  /** PEM of the CA that signed the API server's serving certificate. */
  caPem: string;
  user: string;
  token: string;
  contextName: string;
}

/** Writes a single-context kubeconfig that kubectl and @kubernetes/client-node both read. */
export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'runbook-sandbox',
        cluster: { server: spec.server, 'certificate-authority-data': Buffer.from(spec.caPem).toString('base64') },
      },
    ],
    users: [{ name: spec.user, user: { token: spec.token } }],
    contexts: [{ name: spec.contextName, context: { cluster: 'runbook-sandbox', user: spec.user, namespace: 'default' } }],
    'current-context': spec.contextName,
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}
