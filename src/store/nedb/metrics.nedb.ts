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
  type OutboxDoc,
  type PebbleDoc,
  type VoteDoc,
} from '../metrics-docs.js';
import type { SupportDoc } from '../supports.js';
import { forEachStored, type Datastore } from './datastore.js';
import type { StoredTimes } from './numeric-times.js';

/** Pebbles and +1s as their files hold them: times as numbers (see `holdTimesAsNumbers`). */
type StoredPebble = StoredTimes<PebbleDoc>;
type StoredSupport = StoredTimes<SupportDoc>;

const ACTIVE = new Set<string>(ACTIVE_IMPROVEMENT_STATUSES);
const OPEN = new Set<string>(OPEN_STATUSES);

const byNumber = (a: { number: number }, b: { number: number }) => a.number - b.number;

interface Collections {
  pebbles: Datastore;
  improvements: Datastore;
  outbox: Datastore;
  votes: Datastore;
  supports: Datastore;
}

/**
 * The digest's aggregations on the embedded store, computed in process. `getAllData()` hands
 * out nedb's own objects without copying them (a copy of 100,000 pebbles costs more than the
 * whole digest), so this code only ever reads them.
 */
export class NedbMetricsRepository implements MetricsRepository {
  constructor(private readonly dbs: Collections) {}

  open(workspaceId: string): Promise<WorkspaceMetrics> {
    return Promise.resolve(new NedbWorkspaceMetrics(this.dbs, workspaceId));
  }
}

/**
 * Small counts and positions by pebble number, without a Map entry per pebble: pebble numbers
 * count up from 1 in each workspace, so a typed array over the numbers in use holds them in 4
 * bytes each; numbers past it (far beyond the workspace's count) go to a Map.
 */
class ByNumber {
  private readonly dense: Int32Array;
  private readonly sparse = new Map<number, number>();

  constructor(highest: number, count: number) {
    this.dense = new Int32Array(Math.min(highest, 4 * count + 65_536) + 1);
  }

  private inDense(n: number): boolean {
    return Number.isInteger(n) && n >= 0 && n < this.dense.length;
  }

  get(n: number): number {
    return this.inDense(n) ? this.dense[n]! : (this.sparse.get(n) ?? 0);
  }

  set(n: number, value: number): void {
    if (this.inDense(n)) this.dense[n] = value;
    else this.sparse.set(n, value);
  }
}

/**
 * One workspace's documents, read in place: the stored pebbles and +1s, whose times are numbers
 * (see `holdTimesAsNumbers`), gathered once per digest as an array of references, with each
 * pebble's position and +1 count by number in typed arrays (4 bytes a pebble) built the first
 * time a question needs them. An earlier index also copied every pebble's creation time, latest
 * activity and each +1's time into typed arrays: some 8 MB per digest, left to the garbage
 * collector, which digests computed one after another piled up (100,000 pebbles: 269 MB before
 * the first, 315 MB by the fifth).
 */
class NedbWorkspaceMetrics implements WorkspaceMetrics {
  private improvementsCache: ImprovementDoc[] | undefined;
  private pebblesCache: StoredPebble[] | undefined;
  private highest = 0;
  /** Position in the pebbles + 1 by pebble number (0: no such pebble). */
  private positions: ByNumber | undefined;
  private supportCounts: ByNumber | undefined;

  constructor(
    private readonly dbs: Collections,
    private readonly workspaceId: string,
  ) {}

  private workspacePebbles(): StoredPebble[] {
    if (!this.pebblesCache) {
      const { workspaceId } = this;
      const found: StoredPebble[] = [];
      forEachStored<StoredPebble>(this.dbs.pebbles, (p) => {
        if (p.workspaceId !== workspaceId) return;
        found.push(p);
        if (p.number > this.highest) this.highest = p.number;
      });
      this.pebblesCache = found;
    }
    return this.pebblesCache;
  }

  /** Calls `fn` with each pebble of the workspace, in place. */
  private eachPebble(fn: (p: StoredPebble) => void): void {
    const pebbles = this.workspacePebbles();
    for (let i = 0; i < pebbles.length; i++) fn(pebbles[i]!);
  }

  /** How many +1s a pebble has (counted in one pass over the +1s, the first time). */
  private supportCount(number: number): number {
    if (!this.supportCounts) {
      const pebbles = this.workspacePebbles();
      const counts = new ByNumber(this.highest, pebbles.length);
      const { workspaceId } = this;
      forEachStored<StoredSupport>(this.dbs.supports, (s) => {
        if (s.workspaceId === workspaceId) counts.set(s.number, counts.get(s.number) + 1);
      });
      this.supportCounts = counts;
    }
    return this.supportCounts.get(number);
  }

  private fact(p: StoredPebble): PebbleFact {
    return toPebbleFact(p, this.supportCount(p.number));
  }

  /** Pebbles reported in the range. */
  private reportedIn(range: TimeRange): StoredPebble[] {
    const from = range.from.getTime();
    const to = range.to.getTime();
    const found: StoredPebble[] = [];
    this.eachPebble((p) => {
      if (p.createdAt >= from && p.createdAt < to) found.push(p);
    });
    return found;
  }

  /** Pebbles with a history entry at or after `from` (a superset of those in range). */
  private activeSince(from: Date): StoredPebble[] {
    const since = from.getTime();
    const found: StoredPebble[] = [];
    this.eachPebble((p) => {
      if (p.createdAt >= since) return void found.push(p);
      const history = p.history ?? [];
      for (let h = 0; h < history.length; h++)
        if (history[h]!.at >= since) return void found.push(p);
    });
    return found;
  }

  private pebble(number: number): StoredPebble | undefined {
    const pebbles = this.workspacePebbles();
    if (!this.positions) {
      this.positions = new ByNumber(this.highest, pebbles.length);
      for (let i = 0; i < pebbles.length; i++) this.positions.set(pebbles[i]!.number, i + 1);
    }
    const at = this.positions.get(number);
    return at ? pebbles[at - 1] : undefined;
  }

  private others<T extends { workspaceId: string }>(db: Datastore): T[] {
    const found: T[] = [];
    forEachStored<T>(db, (d) => {
      if (d.workspaceId === this.workspaceId) found.push(d);
    });
    return found;
  }

  private improvementDocs(): ImprovementDoc[] {
    return (this.improvementsCache ??= this.others<ImprovementDoc>(this.dbs.improvements));
  }

  reported(ranges: TimeRange[]): Promise<ReportedGroup[][]> {
    // Two arrays rather than pairs: destructuring a pair in this loop (100,000 pebbles times
    // every range) allocated an iterator each time until the loop was optimized, ~40 MB.
    const from = Float64Array.from(ranges, (r) => r.from.getTime());
    const to = Float64Array.from(ranges, (r) => r.to.getTime());
    const groups = ranges.map(() => new Map<string, ReportedGroup>());
    this.eachPebble((p) => {
      const at = p.createdAt;
      for (let k = 0; k < from.length; k++) {
        if (at < from[k]! || at >= to[k]!) continue;
        const key = `${p.journey ?? ''}\u0000${p.stage ?? ''}\u0000${p.stakeholder}`;
        const map = groups[k]!;
        const group = map.get(key);
        if (group) group.count++;
        else
          map.set(
            key,
            ReportedGroupSchema.parse({
              journey: p.journey,
              stage: p.stage,
              stakeholder: p.stakeholder,
              count: 1,
            }),
          );
      }
    });
    return Promise.resolve(groups.map((m) => [...m.values()]));
  }

  mostSupported(range: TimeRange, limit: number): Promise<PebbleFact[]> {
    const count = (p: StoredPebble) => this.supportCount(p.number);
    const top = this.reportedIn(range)
      .sort(
        (a, b) =>
          count(b) - count(a) || (b.severity ?? 0) - (a.severity ?? 0) || a.number - b.number,
      )
      .slice(0, limit);
    return Promise.resolve(top.map((p) => this.fact(p)));
  }

  participation(range: TimeRange): Promise<Participation> {
    const named = new Set<string>();
    const anonymous = new Set<string>();
    const supporters = new Set<string>();
    const teams = new Set<string>();
    for (const p of this.reportedIn(range)) {
      (p.anonymous ? anonymous : named).add(p.reporter.userId);
      if (p.reporter.team) teams.add(p.reporter.team);
    }
    const from = range.from.getTime();
    const to = range.to.getTime();
    const { workspaceId } = this;
    forEachStored<StoredSupport>(this.dbs.supports, (s) => {
      if (s.workspaceId !== workspaceId || s.at < from || s.at >= to) return;
      supporters.add(s.userId);
      if (s.team) teams.add(s.team);
    });
    const reporters = new Set([...named, ...anonymous]);
    return Promise.resolve(
      ParticipationSchema.parse({
        reporters: reporters.size,
        anonymousReporters: [...anonymous].filter((id) => !named.has(id)).length,
        supporters: supporters.size,
        people: [...new Set([...reporters, ...supporters])].sort(),
        teams: [...teams].sort(),
      }),
    );
  }

  statusChanges(range: TimeRange): Promise<StatusChange[]> {
    const rows: StatusChange[] = [];
    const from = range.from.getTime();
    const to = range.to.getTime();
    for (const p of this.activeSince(range.from)) {
      for (const h of p.history ?? []) {
        if (h.action !== 'status' || !h.to || h.at < from || h.at >= to) continue;
        rows.push(
          StatusChangeSchema.parse({
            number: p.number,
            createdAt: p.createdAt,
            at: h.at,
            from: h.from,
            to: h.to,
            note: h.note,
          }),
        );
      }
    }
    rows.sort((a, b) => a.at.getTime() - b.at.getTime() || a.number - b.number);
    return Promise.resolve(rows);
  }

  openByAge(edges: Date[]): Promise<number[]> {
    const bounds = edges.map((e) => e.getTime());
    const counts = bounds.slice(1).map(() => 0);
    this.eachPebble((p) => {
      if (!OPEN.has(p.status)) return;
      const at = p.createdAt;
      for (let k = 0; k < counts.length; k++) {
        if (at < bounds[k]! && at >= bounds[k + 1]!) {
          counts[k]!++;
          break;
        }
      }
    });
    return Promise.resolve(counts);
  }

  pebbles(numbers: number[]): Promise<PebbleFact[]> {
    const found = [...new Set(numbers)]
      .map((n) => this.pebble(n))
      .filter((p): p is StoredPebble => p !== undefined);
    return Promise.resolve(found.sort(byNumber).map((p) => this.fact(p)));
  }

  duplicatesReported(range: TimeRange): Promise<PebbleFact[]> {
    return Promise.resolve(
      this.reportedIn(range)
        .filter((p) => p.status === 'duplicate' && p.duplicateOf)
        .sort(byNumber)
        .map((p) => this.fact(p)),
    );
  }

  resolvedAt(numbers: number[], before: Date): Promise<{ number: number; at: Date }[]> {
    const result: { number: number; at: Date }[] = [];
    const until = before.getTime();
    for (const n of new Set(numbers)) {
      const p = this.pebble(n);
      let first: number | undefined;
      for (const h of p?.history ?? [])
        if (
          h.action === 'status' &&
          h.to === 'resolved' &&
          h.at < until &&
          (first === undefined || h.at < first)
        )
          first = h.at;
      if (first !== undefined) result.push({ number: n, at: new Date(first) });
    }
    return Promise.resolve(result.sort(byNumber));
  }

  improvementsDone(range: TimeRange): Promise<ImprovementFact[]> {
    return Promise.resolve(
      this.improvementDocs()
        .filter((i) => i.status === 'done' && inRange(i.doneAt, range))
        .sort((a, b) => a.doneAt!.getTime() - b.doneAt!.getTime() || a.number - b.number)
        .map(toImprovementFact),
    );
  }

  improvementsFixing(pebbleNumbers: number[]): Promise<ImprovementFact[]> {
    const wanted = new Set(pebbleNumbers);
    if (wanted.size === 0) return Promise.resolve([]);
    return Promise.resolve(
      this.improvementDocs()
        .filter((i) => i.pebbleNumbers.some((n) => wanted.has(n)))
        .sort(byNumber)
        .map(toImprovementFact),
    );
  }

  activeDue(dates: DateRange): Promise<ImprovementFact[]> {
    return Promise.resolve(
      this.improvementDocs()
        .filter(
          (i) =>
            ACTIVE.has(i.status) &&
            i.promisedDate !== undefined &&
            i.promisedDate >= dates.from &&
            i.promisedDate < dates.to,
        )
        .sort((a, b) => a.promisedDate!.localeCompare(b.promisedDate!) || a.number - b.number)
        .map(toImprovementFact),
    );
  }

  promisesDecided(dates: DateRange, kept: TimeRange): Promise<PromiseFact[]> {
    const facts: PromiseFact[] = [];
    for (const i of this.improvementDocs())
      for (const p of [...(i.promises ?? []), ...(i.promise ? [i.promise] : [])])
        if (promiseDecided(p, dates, kept)) facts.push(toPromiseFact(i.number, p));
    return Promise.resolve(
      facts.sort((a, b) => a.promisedDate.localeCompare(b.promisedDate) || a.number - b.number),
    );
  }

  fixAnswers(range: TimeRange): Promise<FixAnswers> {
    let yes = 0;
    let no = 0;
    for (const i of this.improvementDocs())
      for (const f of i.feedback ?? []) {
        if (!inRange(f.at, range)) continue;
        if (f.answer === 'yes') yes++;
        else if (f.answer === 'no') no++;
      }
    return Promise.resolve(FixAnswersSchema.parse({ yes, no }));
  }

  loopNotices(range: TimeRange): Promise<LoopNotices> {
    const counts = { sent: 0, pending: 0, failed: 0 };
    for (const m of this.others<OutboxDoc>(this.dbs.outbox)) {
      if (m.kind !== LOOP_NOTICE_KIND || !inRange(m.createdAt, range)) continue;
      if (m.status === 'sent') counts.sent++;
      else if (m.status === 'failed') counts.failed++;
      else counts.pending++;
    }
    return Promise.resolve(LoopNoticesSchema.parse(counts));
  }

  votes(range: TimeRange): Promise<VoteFact[]> {
    return Promise.resolve(
      this.others<VoteDoc>(this.dbs.votes)
        .filter((v) => inRange(v.closedAt, range) || inRange(v.decision?.at, range))
        .sort(byNumber)
        .map(toVoteFact),
    );
  }
}
