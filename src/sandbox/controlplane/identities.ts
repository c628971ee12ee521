import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Identity {
  user: string;
  token: string;
  groups: string[];
}

export interface Identities {
  admin: Identity;
  viewer: Identity;
  tokenAuthFile: string;
}

/** The user that the launcher binds to the built-in `view` ClusterRole: reads, never writes. */
export const VIEWER_USER = 'runbook-viewer';

// Static bearer tokens are the simplest authentication that gives two distinct identities:
// no client CA, no certificate signing. The admin is in system:masters (RBAC bypass); the viewer
// only in system:authenticated, so everything it may do comes from its ClusterRoleBinding.
export async function writeTokenAuthFile(dir: string): Promise<Identities> {
  const admin: Identity = { user: 'runbook-admin', token: newToken(), groups: ['system:masters'] };
  const viewer: Identity = { user: VIEWER_USER, token: newToken(), groups: [] };
  const tokenAuthFile = join(dir, 'tokens.csv');
  // Format: token,user,uid[,"group1,group2"]; an empty fourth field would mean a group named "".
  const line = (id: Identity) =>
    [id.token, id.user, id.user, ...(id.groups.length > 0 ? [`"${id.groups.join(',')}"`] : [])].join(',');
  await writeFile(tokenAuthFile, `${line(admin)}\n${line(viewer)}\n`, { mode: 0o600 });
  return { admin, viewer, tokenAuthFile };
}

function newToken(): string {
  return randomBytes(24).toString('hex');
}
