// Guide items: the project's own list of what each source guide asks for, as data
// (runbooks/guide-items/<guide>.yaml). Each item has an id, a short title in our words, the guide
// file and line range it comes from, and whether a cluster can answer it (steps) or only a person
// can (a sign-off). Steps, follow-ups and sign-offs name the items they implement with `source:`;
// `runbook coverage` joins the two. No guide prose is kept here: titles are ours.
import { join } from 'node:path';
import type { Problem, SourcePosition } from '../contract/errors.js';
import type { JsonSchema } from '../contract/step-type.js';
import { packageRoot } from '../package-root.js';
import { GUIDE_ITEM_REF } from './format.js';
import { listInput } from './input-log.js';
import { checkAgainstSchema } from './schema-check.js';
import { positionOf, readSource } from './source.js';

export type GuideAnswer = 'step' | 'signOff';

export interface GuideItem {
  id: string;
  title: string;
  /** First and last line in the guide file, 1-based. */
  lines: [number, number];
  answer: GuideAnswer;
  at: SourcePosition;
}

export interface Guide {
  /** The guide's number: the prefix of its items' ids. */
  name: string;
  title: string;
  /** The guide's file name (in the project's guide folder). */
  file: string;
  items: GuideItem[];
  at: SourcePosition;
}

const LINES = '^[1-9][0-9]*(-[1-9][0-9]*)?$';

export const GUIDE_ITEMS_FORMAT: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'runbook.dev/v1' },
    kind: { const: 'GuideItems' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'title', 'file'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]+$', description: 'The guide: the prefix of its item ids.' },
        title: { type: 'string', minLength: 1 },
        file: { type: 'string', minLength: 1 },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['items'],
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'title', 'lines'],
            properties: {
              id: GUIDE_ITEM_REF,
              title: { type: 'string', minLength: 1 },
              lines: { anyOf: [{ type: 'string', pattern: LINES }, { type: 'integer', minimum: 1 }], description: 'A line or a range such as 120-134.' },
              answer: { enum: ['step', 'signOff'], description: 'step (default): a cluster can answer it; signOff: only a person can.' },
            },
          },
        },
      },
    },
  },
};

interface RawGuide {
  metadata: { name: string; title: string; file: string };
  spec: { items: { id: string; title: string; lines: string | number; answer?: GuideAnswer }[] };
}

/** The guide items shipped with runbook. */
export function shippedGuideItemsDir(): string {
  return join(packageRoot(), 'runbooks', 'guide-items');
}

/** Reads every *.yaml of a folder as GuideItems; problems name the file, line and column. */
export async function loadGuides(dir = shippedGuideItemsDir()): Promise<{ guides: Guide[]; problems: Problem[] }> {
  let names: string[];
  try {
    names = (await listInput(dir)).filter((n) => n.endsWith('.yaml'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { guides: [], problems: [] };
    throw err;
  }
  const guides: Guide[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, SourcePosition>();
  for (const name of names) {
    const read = await readSource(join(dir, name));
    problems.push(...read.problems);
    const source = read.source;
    if (!source) continue;
    const shape = checkAgainstSchema(source.value, GUIDE_ITEMS_FORMAT, source, [], { subject: 'guide items' });
    if (shape.length) {
      problems.push(...shape);
      continue;
    }
    const raw = source.value as RawGuide;
    const guide: Guide = { ...raw.metadata, items: [], at: positionOf(source, []) };
    for (const [i, item] of raw.spec.items.entries()) {
      const at = positionOf(source, ['spec', 'items', i, 'id']);
      if (!item.id.startsWith(`${guide.name}.`)) {
        problems.push({ message: `guide item "${item.id}" does not start with its guide's name "${guide.name}."`, hint: `name it ${guide.name}.<slug>`, at });
      }
      const first = seen.get(item.id);
      if (first) problems.push({ message: `guide item "${item.id}" is listed twice (first at ${first.file}:${first.line})`, hint: 'item ids must be unique', at });
      else seen.set(item.id, at);
      const [from, to] = String(item.lines).split('-').map(Number) as [number, number | undefined];
      if (to !== undefined && to < from) problems.push({ message: `guide item "${item.id}": the line range ${item.lines} ends before it starts`, hint: 'write FIRST-LAST', at: positionOf(source, ['spec', 'items', i, 'lines']) });
      guide.items.push({ id: item.id, title: item.title, lines: [from, to ?? from], answer: item.answer ?? 'step', at });
    }
    guides.push(guide);
  }
  return { guides, problems };
}
