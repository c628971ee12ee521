// `runbook plan` of a site overlay: which steps came from the site, marked in the step list so a
// reader sees the site's changes where they run, not only in the header of overlays.
import type { NodeInfo, RunEvent } from '../engine/events.js';
import { siteNodeIds } from '../runbook/overlays.js';
import type { Plan } from '../runbook/types.js';

export const SITE_MARK = '[site]';

/**
 * A listener that passes events on with the site's nodes named `[site] NAME`. Loop items take the
 * mark of their loop: an item's id is its loop's id with the item key in brackets.
 */
export function markSiteSteps(plan: Plan, listener: (e: RunEvent) => void): (e: RunEvent) => void {
  const ids = siteNodeIds(plan.sections);
  if (ids.size === 0) return listener;
  const isSite = (node: NodeInfo): boolean => ids.has(node.id) || ids.has(node.id.replace(/\[.*$/, ''));
  return (e) => listener((e.type === 'node:start' || e.type === 'node:end') && isSite(e.node) ? { ...e, node: { ...e.node, name: `${SITE_MARK} ${e.node.name}` } } : e);
}
