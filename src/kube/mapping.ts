// REST mapping: kind + apiVersion → URL resource name and scope, from the server's discovery
// documents. Cached per client; a miss re-reads that group/version once, because CRDs (and with
// them new kinds) appear while a runbook runs.
import { closest } from 'fastest-levenshtein';
import { StepFailure } from '../contract/errors.js';
import { isNotFound } from './errors.js';
import type { ResourceMapping } from './types.js';
import { splitApiVersion } from './types.js';

interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
}

export interface DiscoveryDocument {
  resources?: ApiResource[];
}

/** Reads one discovery document; resolves undefined when the group/version is not served (404). */
export type DiscoveryFetch = (path: string) => Promise<DiscoveryDocument | undefined>;

export function discoveryPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export class RestMapper {
  private readonly cache = new Map<string, DiscoveryDocument | undefined>();
  private readonly inFlight = new Map<string, Promise<DiscoveryDocument | undefined>>();

  constructor(private readonly fetchDiscovery: DiscoveryFetch) {}

  private load(apiVersion: string, refresh: boolean): Promise<DiscoveryDocument | undefined> {
    if (!refresh && this.cache.has(apiVersion)) return Promise.resolve(this.cache.get(apiVersion));
    let pending = this.inFlight.get(apiVersion);
    if (!pending) {
      pending = this.fetchDiscovery(discoveryPath(apiVersion))
        .catch((err: unknown) => {
          if (isNotFound(err)) return undefined;
          throw err;
        })
        .then((list) => {
          this.cache.set(apiVersion, list);
          return list;
        })
        .finally(() => this.inFlight.delete(apiVersion));
      this.inFlight.set(apiVersion, pending);
    }
    return pending;
  }

  /** The mapping, or undefined when the server does not serve this kind (after one refresh). */
  async tryMap(apiVersion: string, kind: string): Promise<ResourceMapping | undefined> {
    const cached = this.cache.has(apiVersion);
    let list = await this.load(apiVersion, false);
    let found = list && findResource(list, kind);
    if (!found && cached) {
      list = await this.load(apiVersion, true);
      found = list && findResource(list, kind);
    }
    return found && list ? toMapping(apiVersion, found, list) : undefined;
  }

  async map(apiVersion: string, kind: string): Promise<ResourceMapping> {
    const mapping = await this.tryMap(apiVersion, kind);
    if (mapping) return mapping;
    const list = this.cache.get(apiVersion);
    if (!list) {
      throw new StepFailure(`the API server does not serve ${apiVersion}, so it knows no kind ${kind} there`, {
        hint: apiVersion.includes('.') ? 'is the CRD (or the operator that brings it) installed?' : 'check apiVersion',
        data: { apiVersion, kind },
      });
    }
    const kinds = [...new Set((list.resources ?? []).filter((r) => !r.name.includes('/')).map((r) => r.kind))];
    const suggestion = kinds.length ? closest(kind, kinds) : undefined;
    throw new StepFailure(`the API server knows no kind ${kind} in ${apiVersion}`, {
      ...(suggestion ? { hint: `did you mean ${suggestion}?` } : {}),
      data: { apiVersion, kind, known: kinds },
    });
  }

  /** Forget what discovery said, e.g. after installing CRDs. */
  invalidate(apiVersion?: string): void {
    if (apiVersion === undefined) this.cache.clear();
    else this.cache.delete(apiVersion);
  }
}

/** Kind first (exact, then case-insensitive), then plural, singular and short names like kubectl. */
function findResource(list: DiscoveryDocument, kind: string): ApiResource | undefined {
  const top = (list.resources ?? []).filter((r) => !r.name.includes('/'));
  const lower = kind.toLowerCase();
  return (
    top.find((r) => r.kind === kind) ??
    top.find((r) => r.kind.toLowerCase() === lower) ??
    top.find((r) => r.name === lower || r.singularName === lower || (r.shortNames ?? []).includes(lower))
  );
}

function toMapping(apiVersion: string, r: ApiResource, list: DiscoveryDocument): ResourceMapping {
  const { group, version } = splitApiVersion(apiVersion);
  const subresources = (list.resources ?? [])
    .filter((s) => s.name.startsWith(`${r.name}/`))
    .map((s) => s.name.slice(r.name.length + 1));
  return { group, version, apiVersion, kind: r.kind, resource: r.name, namespaced: r.namespaced, verbs: r.verbs ?? [], subresources };
}
