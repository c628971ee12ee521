// A blob (a run's checkpoint) kept in Secrets: gzip, cut into parts that fit the API's object size
// limit (1 MiB per Secret), each part its own Secret, labelled by the blob's key. Part 0 is written
// last and names the number of parts and the digest of the whole, so a reader never takes a half
// written blob for a whole one: it reads part 0, then the parts it names, and checks the digest.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { KubeClient } from './client.js';
import { isAlreadyExists, isNotFound } from './errors.js';
import type { KubeObject } from './types.js';

/** Bytes of gzip per Secret: base64 makes it 4/3 larger, well inside 1 MiB with the metadata. */
const PART_BYTES = 700 * 1024;
const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;
export const BLOB_LABEL = 'runbook.dev/blob';
const PART_LABEL = 'runbook.dev/part';

export interface BlobRef {
  namespace: string;
  /** DNS-1123 name prefix of the Secrets; parts are <name>-<n>. */
  name: string;
  /** Labels every part carries (besides the blob's own), for listing. */
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

export class BlobDamaged extends Error {}

export async function writeBlob(kube: KubeClient, ref: BlobRef, content: Buffer): Promise<void> {
  const packed = gzipSync(content);
  const digest = createHash('sha256').update(packed).digest('hex');
  const parts: Buffer[] = [];
  for (let at = 0; at < packed.length || parts.length === 0; at += PART_BYTES) parts.push(packed.subarray(at, at + PART_BYTES));
  // Parts after the first, then the first: it is the commit point.
  for (let i = parts.length - 1; i >= 0; i--) {
    await put(kube, {
      ...SECRET,
      type: 'Opaque',
      metadata: {
        name: `${ref.name}-${i}`,
        namespace: ref.namespace,
        labels: { ...ref.labels, [BLOB_LABEL]: ref.name, [PART_LABEL]: String(i) },
        ...(i === 0 ? { annotations: { ...ref.annotations, 'runbook.dev/parts': String(parts.length), 'runbook.dev/digest': digest } } : {}),
      },
      data: { part: parts[i]!.toString('base64') },
    } as KubeObject);
  }
  // Parts a longer earlier version left behind.
  for (let i = parts.length; ; i++) {
    if (!(await kube.delete({ ...SECRET, namespace: ref.namespace, name: `${ref.name}-${i}` }).catch((e: unknown) => (isNotFound(e) ? null : Promise.reject(e))))) break;
  }
}

/** The blob whose part 0 is `first`, or BlobDamaged naming what is wrong. */
export async function readBlob(kube: KubeClient, first: KubeObject): Promise<Buffer> {
  const ns = first.metadata.namespace!;
  const name = first.metadata.labels?.[BLOB_LABEL] ?? (first.metadata.name ?? '').replace(/-0$/, '');
  const count = Number(first.metadata.annotations?.['runbook.dev/parts'] ?? '1');
  const chunks: Buffer[] = [partOf(first)];
  for (let i = 1; i < count; i++) {
    const part = await kube.get({ ...SECRET, namespace: ns, name: `${name}-${i}` });
    if (!part) throw new BlobDamaged(`Secret ${ns}/${name}-${i}, part ${i + 1} of ${count}, is missing`);
    chunks.push(partOf(part));
  }
  const packed = Buffer.concat(chunks);
  const digest = createHash('sha256').update(packed).digest('hex');
  if (digest !== first.metadata.annotations?.['runbook.dev/digest']) {
    throw new BlobDamaged(`the Secrets ${ns}/${name}-* do not add up to what part 0 says (digest ${digest.slice(0, 12)}, expected ${String(first.metadata.annotations?.['runbook.dev/digest']).slice(0, 12)})`);
  }
  return gunzipSync(packed);
}

/** Every blob's part 0 with these labels. */
export async function listBlobs(kube: KubeClient, namespace: string, labels: Record<string, string>): Promise<KubeObject[]> {
  const selector = [...Object.entries(labels).map(([k, v]) => `${k}=${v}`), `${PART_LABEL}=0`].join(',');
  return (await kube.list({ ...SECRET, namespace }, { labelSelector: selector })).items;
}

function partOf(secret: KubeObject): Buffer {
  const data = (secret as KubeObject & { data?: Record<string, string> }).data?.part;
  if (typeof data !== 'string') throw new BlobDamaged(`Secret ${secret.metadata.namespace}/${secret.metadata.name} has no part`);
  return Buffer.from(data, 'base64');
}

async function put(kube: KubeClient, obj: KubeObject): Promise<void> {
  try {
    await kube.create(obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const current = await kube.get({ ...SECRET, namespace: obj.metadata.namespace!, name: obj.metadata.name! });
    await kube.replace({ ...obj, metadata: { ...obj.metadata, resourceVersion: current?.metadata.resourceVersion } });
  }
}
