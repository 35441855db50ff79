import type { Collection, Document, IndexSpecification } from 'mongodb';
import { ACTIVE_IMPROVEMENT_STATUSES } from '../../core/improvements/improvement.model.js';
import {
  FixAnswersSchema,
  LOOP_NOTICE_KIND,
  LoopNoticesSchema,
  ParticipationSchema,
  ReportedGroupSchema,
  StatusChangeSchema,
  type DateRange,
  type FixAnswers,
  type ImprovementFact,
  type LoopNotices,
  type Participation,
  type PebbleFact,
  type PromiseFact,
  type ReportedGroup,
  type StatusChange,
  type TimeRange,
  type VoteFact,
} from '../../core/metrics/metric-facts.js';
import { OPEN_STATUSES } from '../../core/pebbles/pebble.model.js';
import type { MetricsRepository, WorkspaceMetrics } from '../../core/ports/metrics.port.js';
import {
  inRange,
  promiseDecided,
  toImprovementFact,
  toPebbleFact,
  toPromiseFact,
  toVoteFact,
  type ImprovementDoc,
  type PebbleDoc,
  type VoteDoc,
} from '../metrics-docs.js';
import { guard, isNotImplemented } from './mongo.errors.js';

/** The collections the digest reads (their documents as the other repositories write them). */
export interface MetricsCollections {
  pebbles: Collection<Document>;
  improvements: Collection<Document>;
  outbox: Collection<Document>;
  votes: Collection<Document>;
  /** One document per +1 (see supports.ts). */
  supports: Collection<Document>;
}

const range = (r: TimeRange) => ({ $gte: r.from, $lt: r.to });
const dates = (r: DateRange) => ({ $gte: r.from, $lt: r.to });

/** What a digest shows of a pebble: never its reporter, history or supporters. */
const PEBBLE_FIELDS = {
  _id: 0,
  workspaceId: 1,
  number: 1,
  title: 1,
  status: 1,
  stakeholder: 1,
  journey: 1,
  stage: 1,
  severity: 1,
  frequency: 1,
  minutesLost: 1,
  duplicateOf: 1,
  createdAt: 1,
};

const IMPROVEMENT_FIELDS = {
  _id: 0,
  workspaceId: 1,
  number: 1,
  title: 1,
  status: 1,
  pebbleNumbers: 1,
  ownerId: 1,
  ownerName: 1,
  promisedDate: 1,
  createdAt: 1,
  doneAt: 1,
  'feedback.answer': 1,
  'feedback.at': 1,
};

const VOTE_FIELDS = {
  _id: 0,
  workspaceId: 1,
  number: 1,
  pebbleNumbers: 1,
  status: 1,
  openedAt: 1,
  closedAt: 1,
  rules: 1,
  result: 1,
  decision: 1,
};

/** A `$group` key field is absent (FerretDB) or null (MongoDB) when the document lacks it. */
const opt = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The digest's aggregations on MongoDB. Each question is one pipeline (or query) that starts
 * with a `$match` on an index made for it below, so the server reads only the period's
 * documents; counting and grouping happen in the server (`$group`), while what FerretDB 1.24
 * lacks ($cond, $size, $min, $addToSet, percentiles, fields kept through `$unwind`) is done on
 * the few rows that come back. Questions run in parallel.
 */
export class MongoMetricsRepository implements MetricsRepository {
  constructor(private readonly c: MetricsCollections) {}

  open(workspaceId: string): Promise<WorkspaceMetrics> {
    return Promise.resolve(new MongoWorkspaceMetrics(this.c, workspaceId));
  }

  /**
   * Indexes for the pipelines: each leads with workspaceId, then the field the period filters
   * on. Array fields (history, promises, feedback) get multikey indexes. A server
   * that cannot build one (FerretDB on some array paths) still answers, only slower.
   */
  static async indexes(c: MetricsCollections): Promise<void> {
    const specs: [Collection<Document>, IndexSpecification][] = [
      [c.pebbles, { workspaceId: 1, createdAt: 1 }],
      [c.pebbles, { workspaceId: 1, status: 1, createdAt: 1 }],
      [c.pebbles, { workspaceId: 1, 'history.at': 1 }],
      [c.improvements, { workspaceId: 1, doneAt: 1 }],
      [c.improvements, { workspaceId: 1, promisedDate: 1 }],
      [c.improvements, { workspaceId: 1, 'promises.promisedDate': 1 }],
      [c.improvements, { workspaceId: 1, 'promises.closedAt': 1 }],
      [c.improvements, { workspaceId: 1, 'feedback.at': 1 }],
      [c.improvements, { workspaceId: 1, pebbleNumbers: 1 }],
      [c.outbox, { workspaceId: 1, kind: 1, createdAt: 1 }],
      [c.votes, { workspaceId: 1, closedAt: 1 }],
      [c.votes, { workspaceId: 1, 'decision.at': 1 }],
    ];
    for (const [collection, spec] of specs) {
      try {
        await collection.createIndex(spec);
      } catch (error) {
        if (!isNotImplemented(error)) throw error;
      }
    }
  }
}

/** The questions of one workspace's digest, each one query or pipeline on the server. */
class MongoWorkspaceMetrics implements WorkspaceMetrics {
  constructor(
    private readonly c: MetricsCollections,
    private readonly workspaceId: string,
  ) {}

  reported(ranges: TimeRange[]): Promise<ReportedGroup[][]> {
    const { workspaceId } = this;
    return guard(() =>
      Promise.all(
        ranges.map(async (r) => {
          const rows = await this.c.pebbles
            .aggregate<{ _id: Record<string, unknown>; count: number }>([
              { $match: { workspaceId, createdAt: range(r) } },
              {
                $group: {
                  _id: { journey: '$journey', stage: '$stage', stakeholder: '$stakeholder' },
                  count: { $sum: 1 },
                },
              },
            ])
            .toArray();
          return rows.map((row) =>
            ReportedGroupSchema.parse({
              journey: opt(row._id.journey),
              stage: opt(row._id.stage),
              stakeholder: row._id.stakeholder,
              count: row.count,
            }),
          );
        }),
      ),
    );
  }

  /** How many +1s each of these pebbles has, counted by the server from the support documents. */
  private async supportCounts(numbers: number[]): Promise<Map<number, number>> {
    if (numbers.length === 0) return new Map();
    const rows = await this.c.supports
      .aggregate<{ _id: number; n: number }>([
        { $match: { workspaceId: this.workspaceId, number: { $in: numbers } } },
        { $group: { _id: '$number', n: { $sum: 1 } } },
      ])
      .toArray();
    return new Map(rows.map((row) => [row._id, row.n]));
  }

  /** The facts of these pebble documents, each with its count of +1s. */
  private async facts(docs: Document[]): Promise<PebbleFact[]> {
    const pebbles = docs as unknown as PebbleDoc[];
    const counts = await this.supportCounts(pebbles.map((d) => d.number));
    return pebbles.map((d) => toPebbleFact(d, counts.get(d.number) ?? 0));
  }

  /** A period's pebbles (about a thousand a week at most) are ranked here by their counts. */
  mostSupported(r: TimeRange, limit: number): Promise<PebbleFact[]> {
    const { workspaceId } = this;
    return guard(async () => {
      const docs = await this.c.pebbles
        .find({ workspaceId, createdAt: range(r) }, { projection: PEBBLE_FIELDS })
        .toArray();
      const facts = await this.facts(docs);
      return facts
        .sort(
          (a, b) =>
            b.supporterCount - a.supporterCount ||
            (b.severity ?? 0) - (a.severity ?? 0) ||
            a.number - b.number,
        )
        .slice(0, limit);
    });
  }

  participation(r: TimeRange): Promise<Participation> {
    const { workspaceId } = this;
    return guard(async () => {
      const [reporters, supporters] = await Promise.all([
        this.c.pebbles
          .aggregate<{ _id: { u?: string; a?: boolean; t?: string } }>([
            { $match: { workspaceId, createdAt: range(r) } },
            { $group: { _id: { u: '$reporter.userId', a: '$anonymous', t: '$reporter.team' } } },
          ])
          .toArray(),
        this.c.supports
          .aggregate<{ _id: { u?: string; t?: string } }>([
            { $match: { workspaceId, at: range(r) } },
            { $group: { _id: { u: '$userId', t: '$team' } } },
          ])
          .toArray(),
      ]);
      const named = new Set<string>();
      const anonymous = new Set<string>();
      const supporting = new Set<string>();
      const teams = new Set<string>();
      for (const { _id } of reporters) {
        if (!_id.u) continue;
        (_id.a === true ? anonymous : named).add(_id.u);
        const team = opt(_id.t);
        if (team) teams.add(team);
      }
      for (const { _id } of supporters) {
        if (!_id.u) continue;
        supporting.add(_id.u);
        const team = opt(_id.t);
        if (team) teams.add(team);
      }
      const reporting = new Set([...named, ...anonymous]);
      return ParticipationSchema.parse({
        reporters: reporting.size,
        anonymousReporters: [...anonymous].filter((id) => !named.has(id)).length,
        supporters: supporting.size,
        people: [...new Set([...reporting, ...supporting])].sort(),
        teams: [...teams].sort(),
      });
    });
  }

  /**
   * NOTE: FerretDB 1.24's `$unwind` keeps only `_id` and the unwound field, so the entries of
   * the pebbles the index finds are picked here, not after an `$unwind`.
   */
  statusChanges(r: TimeRange): Promise<StatusChange[]> {
    const { workspaceId } = this;
    return guard(async () => {
      const docs = await this.c.pebbles
        .find(
          { workspaceId, 'history.at': range(r) },
          { projection: { _id: 0, number: 1, createdAt: 1, history: 1 } },
        )
        .toArray();
      const rows: StatusChange[] = [];
      for (const doc of docs as unknown as Pick<PebbleDoc, 'number' | 'createdAt' | 'history'>[]) {
        for (const h of doc.history ?? []) {
          if (h.action !== 'status' || typeof h.to !== 'string' || !inRange(h.at, r)) continue;
          rows.push(
            StatusChangeSchema.parse({
              number: doc.number,
              createdAt: doc.createdAt,
              at: h.at,
              from: h.from,
              to: h.to,
              note: h.note,
            }),
          );
        }
      }
      return rows.sort((a, b) => a.at.getTime() - b.at.getTime() || a.number - b.number);
    });
  }

  openByAge(edges: Date[]): Promise<number[]> {
    const { workspaceId } = this;
    return guard(() =>
      Promise.all(
        edges.slice(1).map((older, i) =>
          this.c.pebbles.countDocuments({
            workspaceId,
            status: { $in: [...OPEN_STATUSES] },
            createdAt: { $gte: older, $lt: edges[i]! },
          }),
        ),
      ),
    );
  }

  pebbles(numbers: number[]): Promise<PebbleFact[]> {
    const { workspaceId } = this;
    if (numbers.length === 0) return Promise.resolve([]);
    return guard(async () => {
      const docs = await this.c.pebbles
        .find({ workspaceId, number: { $in: numbers } }, { projection: PEBBLE_FIELDS })
        .sort({ number: 1 })
        .toArray();
      return this.facts(docs);
    });
  }

  duplicatesReported(r: TimeRange): Promise<PebbleFact[]> {
    const { workspaceId } = this;
    return guard(async () => {
      const docs = await this.c.pebbles
        .find(
          { workspaceId, status: 'duplicate', createdAt: range(r), duplicateOf: { $exists: true } },
          { projection: PEBBLE_FIELDS },
        )
        .sort({ number: 1 })
        .toArray();
      return this.facts(docs);
    });
  }

  resolvedAt(numbers: number[], before: Date): Promise<{ number: number; at: Date }[]> {
    const { workspaceId } = this;
    if (numbers.length === 0) return Promise.resolve([]);
    return guard(async () => {
      const docs = await this.c.pebbles
        .find(
          { workspaceId, number: { $in: numbers } },
          { projection: { _id: 0, number: 1, history: 1 } },
        )
        .toArray();
      const result: { number: number; at: Date }[] = [];
      for (const doc of docs as unknown as Pick<PebbleDoc, 'number' | 'history'>[]) {
        let first: Date | undefined;
        for (const h of doc.history ?? [])
          if (
            h.action === 'status' &&
            h.to === 'resolved' &&
            h.at < before &&
            (!first || h.at < first)
          )
            first = h.at;
        if (first) result.push({ number: doc.number, at: first });
      }
      return result.sort((a, b) => a.number - b.number);
    });
  }

  private improvements(query: Document, sort: Document): Promise<ImprovementFact[]> {
    return guard(async () => {
      const docs = await this.c.improvements
        .find(query, { projection: IMPROVEMENT_FIELDS })
        .sort(sort)
        .toArray();
      return docs.map((d) => toImprovementFact(d as unknown as ImprovementDoc));
    });
  }

  improvementsDone(r: TimeRange): Promise<ImprovementFact[]> {
    const { workspaceId } = this;
    return this.improvements(
      { workspaceId, doneAt: range(r), status: 'done' },
      { doneAt: 1, number: 1 },
    );
  }

  improvementsFixing(pebbleNumbers: number[]): Promise<ImprovementFact[]> {
    const { workspaceId } = this;
    if (pebbleNumbers.length === 0) return Promise.resolve([]);
    return this.improvements({ workspaceId, pebbleNumbers: { $in: pebbleNumbers } }, { number: 1 });
  }

  activeDue(d: DateRange): Promise<ImprovementFact[]> {
    const { workspaceId } = this;
    return this.improvements(
      {
        workspaceId,
        promisedDate: dates(d),
        status: { $in: [...ACTIVE_IMPROVEMENT_STATUSES] },
      },
      { promisedDate: 1, number: 1 },
    );
  }

  promisesDecided(d: DateRange, kept: TimeRange): Promise<PromiseFact[]> {
    const { workspaceId } = this;
    return guard(async () => {
      const docs = await this.c.improvements
        .find(
          {
            workspaceId,
            $or: [
              { 'promises.promisedDate': dates(d) },
              { 'promise.promisedDate': dates(d) },
              // Kept early: closed in the range with a later date (the outcome is checked below).
              { 'promises.closedAt': range(kept) },
            ],
          },
          { projection: { _id: 0, number: 1, promise: 1, promises: 1 } },
        )
        .toArray();
      const facts: PromiseFact[] = [];
      for (const doc of docs as unknown as Pick<
        ImprovementDoc,
        'number' | 'promise' | 'promises'
      >[])
        for (const p of [...(doc.promises ?? []), ...(doc.promise ? [doc.promise] : [])])
          if (promiseDecided(p, d, kept)) facts.push(toPromiseFact(doc.number, p));
      return facts.sort(
        (a, b) => a.promisedDate.localeCompare(b.promisedDate) || a.number - b.number,
      );
    });
  }

  fixAnswers(r: TimeRange): Promise<FixAnswers> {
    const { workspaceId } = this;
    return guard(async () => {
      const rows = await this.c.improvements
        .aggregate<{ _id: string; n: number }>([
          { $match: { workspaceId, 'feedback.at': range(r) } },
          { $unwind: '$feedback' },
          { $match: { 'feedback.at': range(r) } },
          { $group: { _id: '$feedback.answer', n: { $sum: 1 } } },
        ])
        .toArray();
      const count = (answer: string) => rows.find((row) => row._id === answer)?.n ?? 0;
      return FixAnswersSchema.parse({ yes: count('yes'), no: count('no') });
    });
  }

  loopNotices(r: TimeRange): Promise<LoopNotices> {
    const { workspaceId } = this;
    return guard(async () => {
      const rows = await this.c.outbox
        .aggregate<{ _id: string; n: number }>([
          { $match: { workspaceId, kind: LOOP_NOTICE_KIND, createdAt: range(r) } },
          { $group: { _id: '$status', n: { $sum: 1 } } },
        ])
        .toArray();
      const counts = { sent: 0, pending: 0, failed: 0 };
      for (const row of rows) {
        if (row._id === 'sent') counts.sent += row.n;
        else if (row._id === 'failed') counts.failed += row.n;
        else counts.pending += row.n;
      }
      return LoopNoticesSchema.parse(counts);
    });
  }

  votes(r: TimeRange): Promise<VoteFact[]> {
    const { workspaceId } = this;
    return guard(async () => {
      const docs = await this.c.votes
        .find(
          { workspaceId, $or: [{ closedAt: range(r) }, { 'decision.at': range(r) }] },
          { projection: VOTE_FIELDS },
        )
        .sort({ number: 1 })
        .toArray();
      return docs.map((d) => toVoteFact(d as unknown as VoteDoc));
    });
  }
}
