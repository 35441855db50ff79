import { randomUUID } from 'node:crypto';
import type { Vote } from '../../../src/core/council/council.model.js';
import type {
  Improvement,
  PromiseEntry,
} from '../../../src/core/improvements/improvement.model.js';
import type { Pebble, PebbleStatus } from '../../../src/core/pebbles/pebble.model.js';
import { defaultSettings, type Workspace } from '../../../src/core/workspaces/workspace.model.js';
import type { NewImprovement } from '../../../src/core/ports/improvements.port.js';
import type { NewPebble, Store } from '../../../src/core/ports/store.port.js';

export const d = (iso: string) => new Date(iso);

/** A workspace (stored) in a time zone, with a unique id so suites can share a database. */
export async function makeWorkspace(
  store: Store,
  timezone: string,
  createdAt = d('2025-10-01T00:00:00Z'),
) {
  const id = `slack:T-${randomUUID()}`;
  const settings = { ...defaultSettings(), timezone };
  const workspace: Omit<Workspace, 'history'> = {
    id,
    platform: 'slack',
    externalId: id.slice(6),
    name: 'Acme',
    settings,
    createdAt,
    updatedAt: createdAt,
  };
  return store.workspaces.ensure(workspace);
}

export interface PebbleSpec {
  at: string;
  title?: string;
  stakeholder?: Pebble['stakeholder'];
  journey?: string;
  stage?: string;
  severity?: number;
  frequency?: Pebble['frequency'];
  minutesLost?: number;
  reporter: string;
  team?: string;
  anonymous?: boolean;
  /** Status changes, in order: [to, at, note?]. */
  steps?: [PebbleStatus, string, string?][];
  duplicateOf?: number;
  supporters?: { userId: string; team?: string; at: string }[];
}

/** Writes a pebble through the store port, with its history at the given instants. */
export async function addPebble(
  store: Store,
  workspaceId: string,
  spec: PebbleSpec,
): Promise<Pebble> {
  const at = d(spec.at);
  const pebble: NewPebble = {
    workspaceId,
    title: spec.title ?? `Friction reported at ${spec.at}`,
    description: '',
    stakeholder: spec.stakeholder ?? 'customer',
    anonymous: spec.anonymous ?? false,
    reporter: {
      userId: spec.reporter,
      name: `Name of ${spec.reporter}`,
      ...(spec.team ? { team: spec.team } : {}),
    },
    source: { kind: 'console' },
    status: 'new',
    createdAt: at,
    updatedAt: at,
    history: [{ at, actor: spec.reporter, action: 'reported', to: 'new' }],
    ...(spec.journey ? { journey: spec.journey } : { journey: 'customer' }),
    ...(spec.stage ? { stage: spec.stage } : {}),
    ...(spec.severity ? { severity: spec.severity } : {}),
    ...(spec.frequency ? { frequency: spec.frequency } : {}),
    ...(spec.minutesLost !== undefined ? { minutesLost: spec.minutesLost } : {}),
  };
  if (!spec.stage) delete (pebble as { journey?: string }).journey;
  let created = await store.pebbles.create(pebble);
  let status: PebbleStatus = 'new';
  for (const [to, when, note] of spec.steps ?? []) {
    const updated = await store.pebbles.update(workspaceId, created.number, {
      set: {
        status: to,
        ...(to === 'duplicate' && spec.duplicateOf ? { duplicateOf: spec.duplicateOf } : {}),
      },
      history: {
        at: d(when),
        actor: 'U-admin',
        action: 'status',
        from: status,
        to,
        ...(note ? { note } : {}),
      },
    });
    if (!updated) throw new Error(`could not move P-${created.number} to ${to}`);
    created = updated;
    status = to;
  }
  for (const s of spec.supporters ?? []) {
    const { pebble: supported } = await store.pebbles.addSupporter(
      workspaceId,
      created.number,
      { userId: s.userId, ...(s.team ? { team: s.team } : {}), at: d(s.at) },
      { at: d(s.at), actor: s.userId, action: 'supported' },
    );
    created = supported!;
  }
  return created;
}

export interface ImprovementSpec {
  title: string;
  pebbleNumbers: number[];
  status: Improvement['status'];
  createdAt: string;
  doneAt?: string;
  ownerId?: string;
  ownerName?: string;
  /** The open promise. */
  promise?: string;
  promises?: { date: string; outcome: PromiseEntry['outcome']; closedAt: string }[];
  feedback?: { userId: string; answer: 'yes' | 'no'; at: string }[];
}

/** Writes an improvement as the improvements service would have left it. */
export async function addImprovement(store: Store, workspaceId: string, spec: ImprovementSpec) {
  const createdAt = d(spec.createdAt);
  const owner = spec.ownerId ?? 'U-owner';
  const improvement = {
    workspaceId,
    title: spec.title,
    pebbleNumbers: spec.pebbleNumbers,
    status: spec.status,
    ...(spec.ownerId ? { ownerId: spec.ownerId } : {}),
    ...(spec.ownerName ? { ownerName: spec.ownerName } : {}),
    ownerPending: false,
    ...(spec.promise
      ? {
          promisedDate: spec.promise,
          promise: {
            promisedDate: spec.promise,
            ownerId: owner,
            madeAt: createdAt,
            outcome: 'open' as const,
          },
        }
      : {}),
    promises: (spec.promises ?? []).map((p) => ({
      promisedDate: p.date,
      ownerId: owner,
      madeAt: createdAt,
      outcome: p.outcome,
      closedAt: d(p.closedAt),
    })),
    checkIns: [],
    nudgesSent: 0,
    escalationLevel: 0,
    ...(spec.doneAt ? { doneAt: d(spec.doneAt) } : {}),
    feedback: (spec.feedback ?? []).map((f) => ({
      userId: f.userId,
      answer: f.answer,
      at: d(f.at),
    })),
    recurrences: 0,
    createdAt,
    updatedAt: createdAt,
    history: [{ at: createdAt, actor: 'U-admin', action: 'planned' }],
  } as NewImprovement;
  return (await store.improvements.create(improvement)).improvement;
}

export interface VoteSpec {
  pebbleNumbers: number[];
  secret: boolean;
  openedAt: string;
  closedAt: string;
  cast: number;
  recused: number;
  electorate: number;
  outcome: 'decided' | 'tie' | 'no-quorum' | 'no-balance' | 'no-majority';
  decision?: {
    option: 'fix-now' | 'next-cycle' | 'not-now' | 'need-info';
    by: 'council' | 'sponsor';
    at: string;
  };
  names?: Record<string, string[]>;
}

/** Writes a closed council vote with its result, as the council service leaves it. */
export async function addVote(store: Store, workspaceId: string, spec: VoteSpec) {
  const openedAt = d(spec.openedAt);
  const members = Array.from({ length: spec.electorate }, (_, i) => ({ userId: `U-member-${i}` }));
  const vote: Omit<Vote, 'id' | 'number'> = {
    workspaceId,
    pebbleNumbers: spec.pebbleNumbers,
    proposedBy: 'U-admin',
    status: spec.decision ? 'decided' : 'escalated',
    electorate: members,
    rules: { threshold: 50, secret: spec.secret, wipLimit: 5 },
    channelId: 'C-council',
    openedAt,
    deadline: d(spec.closedAt),
    closedAt: d(spec.closedAt),
    closedBy: 'deadline',
    result: {
      tally: { 'fix-now': spec.cast, 'next-cycle': 0, 'not-now': 0, 'need-info': 0 },
      cast: spec.cast,
      recused: spec.recused,
      electorate: spec.electorate,
      quorumRequired: 3,
      quorumMet: spec.outcome !== 'no-quorum',
      functionsVoted: 1,
      balanceMet: true,
      thresholdMet: spec.outcome === 'decided',
      outcome: spec.outcome,
      leading: [],
      ...(spec.names
        ? {
            names: Object.fromEntries(
              Object.entries(spec.names).map(([choice, ids]) => [
                choice,
                ids.map((userId) => ({ userId })),
              ]),
            ),
          }
        : {}),
    },
    ...(spec.decision
      ? {
          decision: { option: spec.decision.option, by: spec.decision.by, at: d(spec.decision.at) },
        }
      : {}),
    applied: true,
    createdAt: openedAt,
    updatedAt: openedAt,
    history: [],
  };
  return store.votes.create(vote);
}

/** Close-the-loop notices in the outbox, left sent, pending or failed. */
export async function addLoopNotice(
  store: Store,
  workspaceId: string,
  createdAt: string,
  status: 'sent' | 'pending' | 'failed',
) {
  const key = `close-loop:${workspaceId}:${randomUUID()}`;
  const at = d(createdAt);
  await store.outbox.enqueue({
    key,
    workspaceId,
    kind: 'improvement.close-the-loop',
    target: { kind: 'dm', userId: 'U-someone' },
    view: { text: 'fixed', blocks: [] },
    // Far in the future, so no other test's claim takes it.
    nextAttemptAt: d('2100-01-01T00:00:00Z'),
    createdAt: at,
  });
  if (status === 'pending') return;
  const worker = `fixture-${randomUUID()}`;
  // Claims exactly this message: it is the only one due at the year-2100 instant for this worker.
  const claimed = await store.outbox.claimDue(
    worker,
    d('2100-01-01T00:00:00Z'),
    d('2100-01-01T00:10:00Z'),
    1000,
  );
  for (const message of claimed) {
    if (message.key === key) {
      if (status === 'sent') await store.outbox.markSent(key, worker, { at });
      else
        await store.outbox.release(key, worker, { nextAttemptAt: at, error: 'gone', failed: true });
    } else {
      await store.outbox.release(message.key, worker, {
        nextAttemptAt: d('2100-01-01T00:00:00Z'),
        error: 'not mine',
      });
    }
  }
}
