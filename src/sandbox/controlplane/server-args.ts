// Command lines of the three servers. Everything listens on 127.0.0.1 only, on ports chosen at
// start, so parallel instances and other software on the machine never collide.

export function etcdArgs(o: { dataDir: string; clientPort: number; peerPort: number }): string[] {
  const client = `http://127.0.0.1:${o.clientPort}`;
  const peer = `http://127.0.0.1:${o.peerPort}`;
  return [
    '--name=runbook',
    `--data-dir=${o.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    // The defaults name localhost:2380; a single-member cluster must advertise what it listens on.
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=runbook=${peer}`,
    // Throwaway data: fsync would only make every write wait for the disk.
    '--unsafe-no-fsync=true',
  ];
}

export interface ApiServerArgs {
  etcdPort: number;
  securePort: number;
  certDir: string;
  tokenAuthFile: string;
  serviceAccountPublicKeyFile: string;
  serviceAccountPrivateKeyFile: string;
}

export function apiServerArgs(o: ApiServerArgs): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${o.etcdPort}`,
    // No --tls-cert-file: the server self-signs a serving certificate (with its CA) into cert-dir.
    `--cert-dir=${o.certDir}`,
    `--secure-port=${o.securePort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    `--token-auth-file=${o.tokenAuthFile}`,
    '--authorization-mode=RBAC',
    // No service-account token controller runs, so pods must not require a service account.
    '--disable-admission-plugins=ServiceAccount',
    `--service-account-issuer=https://127.0.0.1:${o.securePort}/`,
    `--service-account-key-file=${o.serviceAccountPublicKeyFile}`,
    `--service-account-signing-key-file=${o.serviceAccountPrivateKeyFile}`,
  ];
}

export function controllerManagerArgs(o: { kubeconfigPath: string; controllers: string[] }): string[] {
  return [
    `--kubeconfig=${o.kubeconfigPath}`,
    `--controllers=${o.controllers.join(',')}`,
    '--leader-elect=false', // a single instance; leader election only delays the start
    '--use-service-account-credentials=false',
    '--secure-port=0', // no health endpoint needed: readiness is proven by a probe namespace
  ];
}
