import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Page, Store } from '../ports/store.port.js';
import type { Vote } from '../council/council.model.js';
import {
  promiseLedger,
  type Improvement,
  type ImprovementStatus,
} from '../improvements/improvement.model.js';
import { OPEN_STATUSES, type Pebble, type PebbleStatus } from '../pebbles/pebble.model.js';
import type { Clock } from '../shared/clock.port.js';
import { PebbleError } from '../shared/errors.js';
import type { UserContext, WorkspaceService } from '../workspaces/workspace.service.js';
import type { Workspace } from '../workspaces/workspace.model.js';
import {
  auditCsv,
  decisionsCsv,
  improvementsCsv,
  pebblesCsv,
  type ExportFile,
} from './csv-export.js';
import type { ApiToken, AuditEntry } from './governance.model.js';

/** Audit entries per page of `config audit`. */
export const AUDIT_PAGE_SIZE = 10;
/** Rows an export reads per kind; a period bigger than this is refused rather than cut short. */
export const EXPORT_MAX_ROWS = 50_000;
const DAY_MS = 86_400_000;

const IsoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-01-31')
  // Date.parse rolls 2026-02-30 over to March; a real date reads back the same.
  .refine(isRealDay, 'not a real date');

/** The period of an export: whole days in UTC, `to` included. */
export const ExportPeriodSchema = z
  .object({ from: IsoDay.optional(), to: IsoDay.optional() })
  .refine((p) => !p.from || !p.to || p.from <= p.to, 'the start comes after the end');

const TokenNameSchema = z
  .string()
  .trim()
  .min(1, 'give the token a name')
  .max(80)
  .regex(/^[\w .@-]+$/, 'letters, digits, spaces and . _ @ - only');

/** SHA-256 of an API token: what is stored and looked up. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new API token: a recognisable prefix and 32 random bytes, URL-safe, no spaces. */
function newToken(): string {
  return `pbt_${randomBytes(32).toString('base64url')}`;
}

function invalid(message: string): PebbleError {
  return new PebbleError('GOVERNANCE.INVALID_INPUT', message);
}

/**
 * Governing a workspace: the audit log, exports, the read API's tokens, forgetting a member,
 * deleting a workspace's data and retention. Each use case checks the role itself.
 */
export class GovernanceService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly workspaces: WorkspaceService,
  ) {}

  private audit(
    workspace: Workspace,
    actor: string,
    action: string,
    what: string,
    before: unknown = null,
    after: unknown = null,
    at: Date = this.clock.now(),
  ): Promise<AuditEntry> {
    return this.store.audit.record({
      workspaceId: workspace.id,
      at,
      actor,
      action,
      what,
      before: JSON.stringify(before),
      after: JSON.stringify(after),
    });
  }

  /** One page (from 1) of the audit log, newest first (admins). */
  async auditLog(
    workspace: Workspace,
    user: UserContext,
    page = 1,
  ): Promise<{ items: AuditEntry[]; total: number; page: number; pages: number }> {
    await this.workspaces.requireAdmin(workspace, user, 'read the audit log');
    const n = Math.max(1, Math.floor(page));
    const result = await this.store.audit.list(workspace.id, {
      limit: AUDIT_PAGE_SIZE,
      offset: (n - 1) * AUDIT_PAGE_SIZE,
    });
    return { ...result, page: n, pages: Math.max(1, Math.ceil(result.total / AUDIT_PAGE_SIZE)) };
  }

  /**
   * CSV files of the pebbles reported, improvements created and council votes opened in the
   * period, with the audit log (admins). Recorded in the audit log itself.
   */
  async export(
    workspace: Workspace,
    user: UserContext,
    period: { from?: string; to?: string } = {},
  ): Promise<{ files: ExportFile[]; from?: Date; to: Date }> {
    await this.workspaces.requireAdmin(workspace, user, 'export data');
    const parsed = ExportPeriodSchema.safeParse(period);
    if (!parsed.success)
      throw invalid(
        `The period is not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}.`,
      );
    const from = parsed.data.from ? new Date(`${parsed.data.from}T00:00:00Z`) : undefined;
    const to = parsed.data.to
      ? new Date(Date.parse(`${parsed.data.to}T00:00:00Z`) + DAY_MS - 1)
      : this.clock.now();
    const inPeriod = (at: Date) => (!from || at >= from) && at <= to;
    const limit = EXPORT_MAX_ROWS + 1;
    const pebbles = await this.store.pebbles.list(
      workspace.id,
      // The store's end is exclusive; the period's includes its last instant.
      { ...(from ? { createdFrom: from } : {}), createdTo: new Date(to.getTime() + 1) },
      { sort: { field: 'number', direction: 'asc' }, limit },
    );
    const improvements = (
      await this.store.improvements.list(
        workspace.id,
        {},
        {
          sort: { field: 'number', direction: 'asc' },
          limit,
        },
      )
    ).items.filter((i) => inPeriod(i.createdAt));
    const votes = (
      await this.store.votes.list(
        workspace.id,
        {},
        { sort: { field: 'number', direction: 'asc' }, limit },
      )
    ).items.filter((v) => inPeriod(v.openedAt));
    const audit = (await this.store.audit.list(workspace.id, { limit })).items
      .filter((e) => inPeriod(e.at))
      .reverse();
    if ([pebbles.items, improvements, votes, audit].some((rows) => rows.length > EXPORT_MAX_ROWS))
      throw invalid(`More than ${EXPORT_MAX_ROWS} rows: export a shorter period.`);
    const stamp = `${from ? from.toISOString().slice(0, 10) : 'start'}_${to.toISOString().slice(0, 10)}`;
    const file = (name: string, title: string, rows: number, data: Buffer): ExportFile => ({
      filename: `pebblebot-${name}-${stamp}.csv`,
      title,
      rows,
      data,
    });
    const files = [
      file('pebbles', 'Pebbles', pebbles.items.length, pebblesCsv(pebbles.items)),
      file(
        'improvements',
        'Improvements and promises',
        improvements.length,
        improvementsCsv(improvements),
      ),
      file('decisions', 'Council decisions', votes.length, decisionsCsv(votes)),
      file('audit', 'Audit log', audit.length, auditCsv(audit)),
    ];
    await this.audit(
      workspace,
      user.userId,
      'export',
      'pebbles, improvements, decisions, audit',
      null,
      {
        from: from?.toISOString() ?? null,
        to: to.toISOString(),
        rows: Object.fromEntries(files.map((f) => [f.title, f.rows])),
      },
    );
    return { files, ...(from ? { from } : {}), to };
  }

  /** Creates a read-API token (admins); the secret is returned once and only its hash kept. */
  async createApiToken(
    workspace: Workspace,
    user: UserContext,
    name: string,
  ): Promise<{ token: string; record: ApiToken }> {
    await this.workspaces.requireAdmin(workspace, user, 'create API tokens');
    const parsed = TokenNameSchema.safeParse(name);
    if (!parsed.success)
      throw invalid(`The token name: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
    const token = newToken();
    const record = await this.store.apiTokens.create({
      id: `tok_${randomUUID().slice(0, 8)}`,
      workspaceId: workspace.id,
      name: parsed.data,
      hash: hashToken(token),
      createdBy: user.userId,
      createdAt: this.clock.now(),
    });
    await this.audit(workspace, user.userId, 'api-token-create', record.id, null, {
      name: record.name,
    });
    return { token, record };
  }

  async listApiTokens(workspace: Workspace, user: UserContext): Promise<ApiToken[]> {
    await this.workspaces.requireAdmin(workspace, user, 'see API tokens');
    return this.store.apiTokens.list(workspace.id);
  }

  /** Revokes a token of this workspace (admins); refused at once on the next request. */
  async revokeApiToken(workspace: Workspace, user: UserContext, id: string): Promise<ApiToken> {
    await this.workspaces.requireAdmin(workspace, user, 'revoke API tokens');
    const revoked = await this.store.apiTokens.revoke(
      workspace.id,
      id.trim(),
      user.userId,
      this.clock.now(),
    );
    if (!revoked)
      throw new PebbleError('GOVERNANCE.NOT_FOUND', `There is no live API token \`${id}\` here.`);
    await this.audit(
      workspace,
      user.userId,
      'api-token-revoke',
      revoked.id,
      { name: revoked.name },
      null,
    );
    return revoked;
  }

  /** The live token a bearer secret stands for, or null (unknown or revoked). */
  async authenticate(secret: string): Promise<ApiToken | null> {
    const token = await this.store.apiTokens.byHash(hashToken(secret));
    return token && !token.revokedAt ? token : null;
  }

  /**
   * Forgets the person asking: their id, name and team are replaced everywhere in this
   * workspace by a random alias and "a former member"; what they wrote stays, ballots stay
   * counted. The audit entry names only the alias.
   */
  async forgetMe(
    workspace: Workspace,
    user: UserContext,
  ): Promise<{ alias: string; changed: number }> {
    const alias = `former-${randomUUID().slice(0, 12)}`;
    const counts = await this.store.dataRights.forgetMember(workspace.id, user.userId, alias);
    const changed = Object.values(counts).reduce((a, b) => a + b, 0);
    await this.audit(workspace, alias, 'forget-member', 'member identity', null, counts);
    return { alias, changed };
  }

  /**
   * Deletes every pebble, improvement, vote, message and setting of the workspace (admins),
   * confirmed by typing its name. The audit log keeps the record of the deletion.
   */
  async deleteWorkspaceData(
    workspace: Workspace,
    user: UserContext,
    confirmName: string,
  ): Promise<Record<string, number>> {
    await this.workspaces.requireAdmin(workspace, user, "delete the workspace's data");
    const name = workspace.name ?? workspace.id;
    if (confirmName.trim().toLowerCase() !== name.trim().toLowerCase())
      throw new PebbleError(
        'GOVERNANCE.CONFIRM',
        `To delete everything, type the workspace's name exactly: \`config delete-workspace-data confirm ${name}\`.`,
      );
    const counts = await this.store.dataRights.deleteWorkspace(workspace.id);
    await this.audit(workspace, user.userId, 'delete-workspace-data', name, null, counts);
    return counts;
  }

  /** Sets (or clears) how long resolved pebbles keep their text (admins; audited). */
  async setRetention(
    workspace: Workspace,
    user: UserContext,
    days: number | null,
  ): Promise<Workspace> {
    return this.workspaces.updateSettings(workspace, user, {
      retentionDays: days ?? undefined,
    });
  }

  /** The retention sweep: empties the text of closed pebbles older than each workspace's setting. */
  async applyRetention(
    now: Date = this.clock.now(),
  ): Promise<{ workspaces: number; pebbles: number }> {
    let workspaces = 0;
    let pebbles = 0;
    for (const workspace of await this.store.workspaces.list()) {
      const days = workspace.settings.retentionDays;
      if (!days) continue;
      workspaces++;
      const before = new Date(now.getTime() - days * DAY_MS);
      const n = await this.store.dataRights.redactClosedPebbles(workspace.id, before, {
        at: now,
        actor: 'pebblebot',
        action: 'retention',
        note: `text removed after ${days} days`,
      });
      if (n > 0)
        await this.audit(
          workspace,
          'pebblebot',
          'retention',
          'pebbles',
          null,
          { days, pebbles: n },
          now,
        );
      pebbles += n;
    }
    return { workspaces, pebbles };
  }

  // ----------------------------------------------------------------- the read API's use cases

  /** Pebbles of the token's workspace, oldest first (a stable order for cursors). */
  readPebbles(
    workspaceId: string,
    query: { limit: number; offset: number; status?: PebbleStatus[]; from?: Date; to?: Date },
  ): Promise<Page<Pebble>> {
    return this.store.pebbles.list(
      workspaceId,
      {
        ...(query.status ? { status: query.status } : {}),
        ...(query.from ? { createdFrom: query.from } : {}),
        ...(query.to ? { createdTo: query.to } : {}),
      },
      { sort: { field: 'number', direction: 'asc' }, limit: query.limit, offset: query.offset },
    );
  }

  readImprovements(
    workspaceId: string,
    query: { limit: number; offset: number; status?: ImprovementStatus[] },
  ): Promise<Page<Improvement>> {
    return this.store.improvements.list(workspaceId, query.status ? { status: query.status } : {}, {
      sort: { field: 'number', direction: 'asc' },
      limit: query.limit,
      offset: query.offset,
    });
  }

  /** Council votes that reached a decision (or wait for the sponsor's), oldest first. */
  readDecisions(
    workspaceId: string,
    query: { limit: number; offset: number },
  ): Promise<Page<Vote>> {
    return this.store.votes.list(
      workspaceId,
      { status: ['decided', 'escalated'] },
      { sort: { field: 'number', direction: 'asc' }, limit: query.limit, offset: query.offset },
    );
  }

  /** Headline numbers of the last `days` days (the read API's `/metrics`). */
  async metrics(workspaceId: string, days: number): Promise<ApiMetrics> {
    const to = this.clock.now();
    const from = new Date(to.getTime() - days * DAY_MS);
    const page = { limit: 1 };
    const reported = await this.store.pebbles.list(
      workspaceId,
      { createdFrom: from, createdTo: new Date(to.getTime() + 1) },
      page,
    );
    const open = await this.store.pebbles.list(workspaceId, { status: [...OPEN_STATUSES] }, page);
    const improvements = (
      await this.store.improvements.list(workspaceId, {}, { limit: EXPORT_MAX_ROWS })
    ).items;
    const inPeriod = (at: Date | undefined) => at !== undefined && at >= from && at <= to;
    const promises = improvements
      .flatMap((i) => promiseLedger(i))
      .filter((p) => inPeriod(p.closedAt));
    const decisions = (
      await this.store.votes.list(workspaceId, { status: ['decided'] }, { limit: EXPORT_MAX_ROWS })
    ).items.filter((v) => inPeriod(v.decision?.at));
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      pebblesReported: reported.total,
      pebblesOpen: open.total,
      improvementsDone: improvements.filter((i) => inPeriod(i.doneAt)).length,
      promisesKept: promises.filter((p) => p.outcome === 'kept').length,
      promisesBroken: promises.filter((p) => p.outcome === 'broken').length,
      councilDecisions: decisions.length,
    };
  }
}

/** What `/metrics` answers. */
export interface ApiMetrics {
  from: string;
  to: string;
  pebblesReported: number;
  pebblesOpen: number;
  improvementsDone: number;
  promisesKept: number;
  promisesBroken: number;
  councilDecisions: number;
}

function isRealDay(day: string): boolean {
  const at = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().startsWith(day);
}
