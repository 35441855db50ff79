import { PebbleError } from '../shared/errors.js';
import { catalogStages, type WorkspaceSettings } from '../workspaces/workspace.model.js';
import type { PebbleFilter } from '../ports/store.port.js';
import { OPEN_STATUSES, PebbleStatusSchema, StakeholderSchema } from './pebble.model.js';

const slug = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');

/**
 * Turns the argument of `list` (a status, a stakeholder, a journey or a stage, by key or
 * name) into a store filter and a readable label. Empty means all open pebbles.
 */
export function parseListFilter(
  arg: string,
  settings: WorkspaceSettings,
): { filter: PebbleFilter; label: string } {
  const wanted = slug(arg);
  if (!wanted || wanted === 'open')
    return { filter: { status: [...OPEN_STATUSES] }, label: 'Open pebbles' };
  if (wanted === 'all') return { filter: {}, label: 'All pebbles' };
  const status = PebbleStatusSchema.safeParse(
    wanted === 'in-council' || wanted === 'council' ? 'in-council' : wanted,
  );
  if (status.success) return { filter: { status: [status.data] }, label: `Pebbles: ${arg.trim()}` };
  const stakeholder = StakeholderSchema.safeParse(wanted);
  if (stakeholder.success) {
    return {
      filter: { stakeholder: stakeholder.data, status: [...OPEN_STATUSES] },
      label: `Open ${wanted} pebbles`,
    };
  }
  const journey = settings.journeys.find((j) => j.key === wanted || slug(j.name) === wanted);
  if (journey)
    return {
      filter: { journey: journey.key, status: [...OPEN_STATUSES] },
      label: `Open pebbles in ${journey.name}`,
    };
  const stage = catalogStages(settings).find(
    (s) => s.stage.key === wanted || slug(s.stage.name) === wanted,
  );
  if (stage) {
    return {
      filter: { journey: stage.journey.key, stage: stage.stage.key, status: [...OPEN_STATUSES] },
      label: `Open pebbles at ${stage.stage.name}`,
    };
  }
  throw new PebbleError(
    'COMMAND.USAGE',
    `I don't know "${arg.trim()}". List by status (${PebbleStatusSchema.options.join(', ')}), ` +
      `by who feels it (customer, employee, partner) or by stage (${catalogStages(settings)
        .map((s) => s.stage.key)
        .join(', ')}).`,
  );
}
