// The label the RAG stack's manifests (templates/rag-stack) carry, by which the sandbox knows the
// stack's own Deployments and Routes from everything else a scenario holds.
export const PART_OF = 'app.kubernetes.io/part-of';
export const RAG_STACK = 'rag-stack';
