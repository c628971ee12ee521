// The public shape of a running sandbox control plane and the options to start one.

export interface StartControlPlaneOptions {
  /** Folder with etcd, kube-apiserver and kube-controller-manager; default: build or reuse the cached ones. */
  binDir?: string;
  /** Parent of the instance folders; default: <os tmpdir>/runbook-controlplane. */
  baseDir?: string;
  /**
   * Controllers for kube-controller-manager (default DEFAULT_CONTROLLERS); `false` runs no
   * controller-manager: namespaces then never finish deleting, nothing is garbage-collected, and
   * the built-in `view` role (hence the viewer user) grants nothing.
   */
  controllers?: string[] | false;
  /** Default 180 s: on two busy cores the API server alone may need most of a minute. */
  startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL in stop(); default 10 s. */
  stopGraceMs?: number;
  /** Keep the instance folder (logs, etcd data) after stop(); default false. */
  keepDir?: boolean;
}

export interface ControlPlaneLogFiles {
  etcd: string;
  kubeApiserver: string;
  /** Absent when the controller-manager is disabled. */
  kubeControllerManager?: string;
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Admin (group system:masters): may do anything. */
  kubeconfigPath: string;
  /** A user bound only to the built-in `view` ClusterRole: reads allowed (not Secrets), writes forbidden. */
  viewerKubeconfigPath: string;
  /** Instance folder: kubeconfigs, etcd data, certificates, logs. */
  dir: string;
  logFiles: ControlPlaneLogFiles;
  /** Kubernetes version of the binaries, e.g. "v1.34.4". */
  version: string;
  /** Stops all servers (SIGTERM, SIGKILL after the grace period) and removes `dir` unless keepDir. */
  stop(): Promise<void>;
}
