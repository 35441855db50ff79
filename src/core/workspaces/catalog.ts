import { z } from 'zod';
import { PebbleError } from '../shared/errors.js';
import { typedText } from '../shared/text.js';
import type { Journey, Stage } from './workspace.model.js';

const Name = typedText(
  z
    .string()
    .trim()
    .min(1, 'give it a name')
    .max(75, 'a name has at most 75 characters')
    .regex(/\p{L}|\p{N}/u, 'a name needs a letter or a digit'),
);
const Ref = z.string().trim().min(1, 'say which one').max(150);

/**
 * One change of the journeys catalog, as admins ask for it from `/pebble config stage …` or the
 * App Home form. Stages are named by `journey/stage` key, stage key or name.
 */
export const CatalogOpSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('add-stage'),
    name: Name,
    journey: Ref.optional(),
    /** The stage the new one comes after (default: the end of its journey). */
    after: Ref.optional(),
  }),
  z.object({ op: z.literal('rename-stage'), stage: Ref, name: Name }),
  z.object({
    op: z.literal('move-stage'),
    stage: Ref,
    position: z
      .number()
      .int('a whole number')
      .min(1, 'positions start at 1')
      .max(25, 'a journey has at most 25 stages'),
  }),
  z.object({ op: z.literal('retire-stage'), stage: Ref }),
  z.object({ op: z.literal('restore-stage'), stage: Ref }),
  z.object({
    op: z.literal('add-journey'),
    name: Name,
    stages: z.array(Name).min(1, 'name its first stage').max(25, 'at most 25 stages'),
  }),
  z.object({ op: z.literal('rename-journey'), journey: Ref, name: Name }),
]);
export type CatalogOp = z.input<typeof CatalogOpSchema>;

const invalid = (message: string) => new PebbleError('WORKSPACE.INVALID_SETTING', message);

/** A key people can type: lower case, digits and dashes, unique among `taken`. */
function keyFor(name: string, taken: string[]): string {
  const base =
    name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'stage';
  let key = base;
  for (let n = 2; taken.includes(key); n++) key = `${base}-${n}`;
  return key;
}

const norm = (text: string) => text.trim().toLowerCase();

function findJourney(journeys: Journey[], ref: string): Journey {
  const wanted = norm(ref);
  const found = journeys.find((j) => j.key === wanted || norm(j.name) === wanted);
  if (!found)
    throw invalid(
      `There is no journey "${ref}". Journeys: ${journeys.map((j) => `${j.name} (${j.key})`).join(', ')}.`,
    );
  return found;
}

/** The stage a reference names: `journey/stage`, a stage key or a stage name. */
export function findStage(journeys: Journey[], ref: string): { journey: Journey; stage: Stage } {
  const wanted = norm(ref);
  const matches = journeys.flatMap((journey) =>
    journey.stages
      .filter(
        (stage) =>
          `${journey.key}/${stage.key}` === wanted ||
          stage.key === wanted ||
          norm(stage.name) === wanted,
      )
      .map((stage) => ({ journey, stage })),
  );
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw invalid(
      `"${ref}" is a stage of several journeys: say which, e.g. ${matches.map((m) => `${m.journey.key}/${m.stage.key}`).join(' or ')}.`,
    );
  throw invalid(
    `There is no stage "${ref}". Stages: ${journeys.flatMap((j) => j.stages.map((s) => `${j.key}/${s.key}`)).join(', ')}.`,
  );
}

/** Replaces one journey in the list (journeys are values: nothing is changed in place). */
function replace(journeys: Journey[], journey: Journey): Journey[] {
  return journeys.map((j) => (j.key === journey.key ? journey : j));
}

/**
 * Applies one change to the catalog and says what it did. Pure: throws
 * WORKSPACE.INVALID_SETTING with a sentence an admin can act on. Stage keys never change once
 * given, so pebbles placed on a renamed, moved or retired stage keep pointing at it.
 */
export function applyCatalogOp(
  journeys: Journey[],
  input: CatalogOp,
): { journeys: Journey[]; summary: string } {
  const parsed = CatalogOpSchema.safeParse(input);
  if (!parsed.success)
    throw invalid(
      parsed.error.issues
        .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
        .join('; '),
    );
  const op = parsed.data;
  switch (op.op) {
    case 'add-stage': {
      const journey = op.journey
        ? findJourney(journeys, op.journey)
        : journeys.length === 1
          ? journeys[0]!
          : op.after
            ? findStage(journeys, op.after).journey
            : undefined;
      if (!journey)
        throw invalid(
          `Say which journey the stage belongs to: ${journeys.map((j) => j.key).join(', ')}.`,
        );
      if (journey.stages.some((s) => norm(s.name) === norm(op.name)))
        throw invalid(`${journey.name} already has a stage "${op.name}".`);
      if (journey.stages.length >= 25) throw invalid(`${journey.name} has 25 stages already.`);
      const stage: Stage = {
        key: keyFor(
          op.name,
          journey.stages.map((s) => s.key),
        ),
        name: op.name,
      };
      let at = journey.stages.length;
      if (op.after) {
        const after = findStage([journey], op.after);
        at = journey.stages.findIndex((s) => s.key === after.stage.key) + 1;
      }
      const stages = [...journey.stages.slice(0, at), stage, ...journey.stages.slice(at)];
      return {
        journeys: replace(journeys, { ...journey, stages }),
        summary: `added the stage ${stage.name} to ${journey.name} (position ${at + 1})`,
      };
    }
    case 'rename-stage': {
      const { journey, stage } = findStage(journeys, op.stage);
      if (journey.stages.some((s) => s.key !== stage.key && norm(s.name) === norm(op.name)))
        throw invalid(`${journey.name} already has a stage "${op.name}".`);
      const stages = journey.stages.map((s) => (s.key === stage.key ? { ...s, name: op.name } : s));
      return {
        journeys: replace(journeys, { ...journey, stages }),
        summary: `renamed the stage ${stage.name} to ${op.name}`,
      };
    }
    case 'move-stage': {
      const { journey, stage } = findStage(journeys, op.stage);
      const rest = journey.stages.filter((s) => s.key !== stage.key);
      const at = Math.min(op.position, journey.stages.length) - 1;
      const stages = [...rest.slice(0, at), stage, ...rest.slice(at)];
      return {
        journeys: replace(journeys, { ...journey, stages }),
        summary: `moved the stage ${stage.name} to position ${at + 1} of ${journey.name}`,
      };
    }
    case 'retire-stage':
    case 'restore-stage': {
      const { journey, stage } = findStage(journeys, op.stage);
      const retire = op.op === 'retire-stage';
      if (Boolean(stage.retired) === retire)
        throw invalid(`${stage.name} is ${retire ? 'retired already' : 'not retired'}.`);
      if (retire && journey.stages.filter((s) => !s.retired).length === 1)
        throw invalid(
          `${stage.name} is the last stage of ${journey.name} still in use: add another first.`,
        );
      const stages = journey.stages.map((s) => {
        if (s.key !== stage.key) return s;
        const { retired: _old, ...rest } = s;
        void _old;
        return retire ? { ...rest, retired: true } : rest;
      });
      return {
        journeys: replace(journeys, { ...journey, stages }),
        summary: retire
          ? `retired the stage ${stage.name} (its pebbles keep it; new pebbles cannot use it)`
          : `brought back the stage ${stage.name}`,
      };
    }
    case 'add-journey': {
      if (journeys.some((j) => norm(j.name) === norm(op.name)))
        throw invalid(`There is a journey "${op.name}" already.`);
      if (journeys.length >= 10) throw invalid('The catalog has 10 journeys already.');
      const keys: string[] = [];
      const stages = op.stages.map((name) => {
        const key = keyFor(name, keys);
        keys.push(key);
        return { key, name };
      });
      const journey: Journey = {
        key: keyFor(
          op.name,
          journeys.map((j) => j.key),
        ),
        name: op.name,
        stages,
      };
      return {
        journeys: [...journeys, journey],
        summary: `added the journey ${journey.name} (${stages.map((s) => s.name).join(', ')})`,
      };
    }
    case 'rename-journey': {
      const journey = findJourney(journeys, op.journey);
      if (journeys.some((j) => j.key !== journey.key && norm(j.name) === norm(op.name)))
        throw invalid(`There is a journey "${op.name}" already.`);
      return {
        journeys: replace(journeys, { ...journey, name: op.name }),
        summary: `renamed the journey ${journey.name} to ${op.name}`,
      };
    }
  }
}
