/**
 * A resourceVersion that is guaranteed to have expired in every sandbox control plane, so
 * clients can test their handling of "410 Gone" (a watch or list from a resourceVersion the
 * server no longer has) without waiting minutes for compaction.
 */
export const EXPIRED_RESOURCE_VERSION = '1';

// kube-apiserver answers 410 when a resourceVersion is older than what its watch cache holds
// (the etcd revision at which the cache was filled) or than etcd's compacted revision. A fresh
// etcd starts at revision 1, which would then stay valid for minutes. Writing one key and
// compacting before the API server starts pushes both limits past revision 1.
export async function expireFirstRevision(etcdClientPort: number): Promise<void> {
  const base = `http://127.0.0.1:${etcdClientPort}/v3/kv`;
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const put = await postJson(`${base}/put`, { key: b64('/runbook-sandbox/expired-revision-marker'), value: b64('1') });
  const revision = (put as { header?: { revision?: string } }).header?.revision;
  if (!revision || Number(revision) <= Number(EXPIRED_RESOURCE_VERSION)) {
    throw new Error(`etcd put returned an unexpected revision: ${JSON.stringify(put)}`);
  }
  await postJson(`${base}/compaction`, { revision, physical: true });
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${url} answered HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}
