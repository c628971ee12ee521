// Vars given in the environment, kept apart from vars.ts (which loads the YAML machinery) so that
// `validate` can name them in its cache key without loading it.

/** RUNBOOK_VAR_<name> environment variables, for secrets that should not sit in shell history. */
export function varsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('RUNBOOK_VAR_') && v !== undefined) out[k.slice(12)] = v;
  return out;
}
