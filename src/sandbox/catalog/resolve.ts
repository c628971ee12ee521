// How OLM picks the bundle a Subscription gets, from a file-based catalog. Follows
// operator-framework/operator-lifecycle-manager pkg/controller/registry/resolver/resolver.go
// (getSubscriptionVariables, sortChannel):
// - nothing installed: the startingCSV if given, else the channel head;
// - something installed: only entries whose skipRange includes the installed version, or that
//   replace or skip the installed CSV by name, are candidates; the one nearest the channel head
//   wins. No candidate means no upgrade, and no error either: the Subscription stays AtLatestKnown.
// The messages are OLM's own (resolver.go), wrapped as its solver prints an unsatisfiable
// subscription: "constraints not satisfiable: <reason>, subscription <name> exists".
import semver from 'semver';
import type { Catalog, CatalogChannel, CatalogPackage, ChannelEntry } from './fbc.js';

export interface ResolveRequest {
  subscription: string;
  catalogName: string;
  catalogNamespace: string;
  /** The catalog of the named CatalogSource, or undefined when it does not exist. */
  catalog: Catalog | undefined;
  packageName: string;
  channel?: string;
  startingCSV?: string;
  /** The CSV installed now, with its version. */
  installed?: { name: string; version: string };
}

export type Resolution =
  | { kind: 'install'; bundle: string; version: string; channel: string }
  | { kind: 'upToDate'; channel: string }
  | { kind: 'failed'; message: string };

export function resolve(req: ResolveRequest): Resolution {
  const fail = (reason: string): Resolution => ({ kind: 'failed', message: `constraints not satisfiable: ${reason}, subscription ${req.subscription} exists` });
  const pkg = req.catalog?.packages.get(req.packageName);
  if (!req.catalog || req.catalog.packages.size === 0) {
    return fail(`no operators found from catalog ${req.catalogName} in namespace ${req.catalogNamespace} referenced by subscription ${req.subscription}`);
  }
  if (!pkg) return fail(`no operators found in package ${req.packageName} in the catalog referenced by subscription ${req.subscription}`);
  const channelName = req.channel || pkg.defaultChannel || '';
  const channel = pkg.channels.get(channelName);
  if (!channel || channel.entries.length === 0) {
    return fail(`no operators found in channel ${channelName} of package ${pkg.name} in the catalog referenced by subscription ${req.subscription}`);
  }
  const order = channelOrder(channel, (name) => pkg.bundles.get(name)?.version);
  if (!req.installed) {
    if (req.startingCSV) {
      const start = channel.entries.find((e) => e.name === req.startingCSV);
      if (!start) return fail(`no operators found with name ${req.startingCSV} in channel ${channel.name} of package ${pkg.name} in the catalog referenced by subscription ${req.subscription}`);
      return install(pkg, start, channel);
    }
    return install(pkg, order[0]!, channel);
  }
  const next = upgradeCandidates(order, req.installed)[0];
  return next ? install(pkg, next, channel) : { kind: 'upToDate', channel: channel.name };
}

function install(pkg: CatalogPackage, entry: ChannelEntry, channel: CatalogChannel): Resolution {
  return { kind: 'install', bundle: entry.name, version: pkg.bundles.get(entry.name)?.version ?? '', channel: channel.name };
}

/** Entries that may replace the installed CSV, nearest the head first. */
export function upgradeCandidates(order: readonly ChannelEntry[], installed: { name: string; version: string }): ChannelEntry[] {
  return order.filter(
    (e) =>
      e.name !== installed.name &&
      ((e.skipRange !== undefined && semver.valid(installed.version) !== null && semver.satisfies(installed.version, e.skipRange)) ||
        e.replaces === installed.name ||
        (e.skips ?? []).includes(installed.name)),
  );
}

/**
 * The channel's entries from the head down the replaces chain, leaving out entries that another
 * skips (OLM's sortChannel). A channel whose entries form several chains (a replaces that names a
 * bundle since pulled from the catalog) has no defined order in OLM; here the chain with the newest
 * head comes first, so the sandbox resolves as the catalog's authors meant.
 */
export function channelOrder(channel: CatalogChannel, versionOf: (name: string) => string | undefined = () => undefined): ChannelEntry[] {
  const byName = new Map(channel.entries.map((e) => [e.name, e]));
  const replacedBy = new Set<string>();
  const skipped = new Set<string>();
  for (const e of channel.entries) {
    if (e.replaces && byName.has(e.replaces)) replacedBy.add(e.replaces);
    for (const s of e.skips ?? []) {
      if (byName.has(s)) {
        replacedBy.add(s);
        skipped.add(s);
      }
    }
  }
  const chains = channel.entries
    .filter((e) => !replacedBy.has(e.name))
    .map((head) => {
      const chain: ChannelEntry[] = [];
      const seen = new Set<string>();
      for (let cur: ChannelEntry | undefined = head; cur && !seen.has(cur.name); cur = cur.replaces ? byName.get(cur.replaces) : undefined) {
        seen.add(cur.name);
        if (!skipped.has(cur.name)) chain.push(cur);
      }
      return chain;
    })
    .sort((a, b) => compareVersions(versionOf(b[0]?.name ?? ''), versionOf(a[0]?.name ?? '')) || b.length - a.length);
  return chains.flat();
}

function compareVersions(a: string | undefined, b: string | undefined): number {
  const va = a && semver.valid(a) ? a : undefined;
  const vb = b && semver.valid(b) ? b : undefined;
  if (va && vb) return semver.compare(va, vb);
  return va ? 1 : vb ? -1 : 0;
}

/** The newest bundle of a channel, as `oc get packagemanifest` shows it (currentCSV). */
export function channelHead(pkg: CatalogPackage, channelName: string): ChannelEntry | undefined {
  const channel = pkg.channels.get(channelName);
  return channel ? channelOrder(channel, (name) => pkg.bundles.get(name)?.version)[0] : undefined;
}
