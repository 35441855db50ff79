import { updateSettingsAudited } from '../governance/audit.js';
import { z } from 'zod';
import type { Store } from '../ports/store.port.js';
import type { ImprovementService } from '../improvements/improvement.service.js';
import { improvementShortId, TITLE_MAX } from '../improvements/improvement.model.js';
import { shortId, type Pebble, type PebbleStatus } from '../pebbles/pebble.model.js';
import { stakeholdersOf, type PebbleService } from '../pebbles/pebble.service.js';
import { canTransition } from '../pebbles/pebble.status.js';
import type { ChatGateway, MessageRef } from '../shared/chat-gateway.port.js';
import type { Clock } from '../shared/clock.port.js';
import { isPebbleError, PebbleError } from '../shared/errors.js';
import type { OutboxPort, OutgoingMessage } from '../shared/outbox.port.js';
import { isWorkspaceAdmin, type Workspace } from '../workspaces/workspace.model.js';
import type { UserContext } from '../workspaces/workspace.service.js';
import { BallotSeal } from './ballot-seal.js';
import {
  BallotChoiceSchema,
  COUNCIL_MEMBERS_MAX,
  CouncilMemberSchema,
  CouncilSettingsSchema,
  OPTION_LABELS,
  PEBBLES_PER_VOTE_MAX,
  UserIdSchema,
  VoteOptionSchema,
  voteShortId,
  type BallotChoice,
  type CouncilMember,
  type CouncilSettings,
  type Decision,
  type Vote,
  type VoteOption,
  type VoteResult,
} from './council.model.js';
import type { CouncilDirectory, CouncilNotices, VoteProgress } from './council.notices.js';
import {
  addWorkingDays,
  decideOutcome,
  distinctFunctions,
  nextCycleStart,
  notProposableReason,
  reminderTime,
  tallyOf,
  withinWip,
} from './council.rules.js';
import { VoteRefresher, type VoteAddress } from './vote-refresher.js';
import { cleanText, typedText } from '../shared/text.js';

/** What the council needs of improvements (ImprovementService provides it). */
export type CouncilImprovements = Pick<
  ImprovementService,
  'createPlanned' | 'countActive' | 'list' | 'drop'
>;

/** A chat platform as the council uses it (set by the channel once it runs). */
export interface CouncilPlatform {
  /** Posts and updates vote messages. */
  gateway: ChatGateway;
  /** Looks up user groups, for councils kept in sync with one. */
  directory?: CouncilDirectory;
}

/** The few log lines the council writes (no ballot choice is ever logged). */
export interface CouncilLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface CouncilServiceDeps {
  store: Store;
  clock: Clock;
  pebbles: PebbleService;
  improvements: CouncilImprovements;
  outbox: OutboxPort;
  notices: CouncilNotices;
  /** BALLOT_SECRET: the half of secret ballot keys that is not in the store. */
  ballotSecret?: string;
  log?: CouncilLog;
  /** Spacing of vote message updates (default 2,000 ms). */
  refreshIntervalMs?: number;
}

/**
 * A change of the council settings, as a form or a command sends it. Optional settings are
 * cleared with null; members are replaced, added or removed.
 */
export const CouncilPatchSchema = z
  .object({
    members: z.array(CouncilMemberSchema).max(COUNCIL_MEMBERS_MAX),
    addMembers: z.array(CouncilMemberSchema).max(COUNCIL_MEMBERS_MAX),
    removeMembers: z.array(UserIdSchema).max(COUNCIL_MEMBERS_MAX),
    /** Function per member id; null clears it. */
    functions: z.record(UserIdSchema, typedText(z.string().trim().min(1).max(40)).nullable()),
    userGroup: z
      .object({ id: z.string().min(1).max(64), handle: z.string().max(100).optional() })
      .nullable(),
    channel: z.string().min(1).max(64).nullable(),
    sponsor: UserIdSchema.nullable(),
    votingDays: z.number().int().min(1).max(20),
    quorum: z.number().int().min(1).max(COUNCIL_MEMBERS_MAX).nullable(),
    threshold: z.number().int().min(50).max(100),
    balance: z.number().int().min(2).max(50).nullable(),
    secret: z.boolean(),
    wipLimit: z.number().int().min(1).max(100),
    cycle: z.enum(['week', 'month']),
  })
  .partial()
  .strict();
export type CouncilPatch = z.input<typeof CouncilPatchSchema>;

export interface ProposeResult {
  vote: Vote;
  pebbles: Pebble[];
  /**
   * True when the vote message was queued; the outbox posts it, retrying through outages.
   * False when it could not be queued yet (the sweep queues it).
   */
  posted: boolean;
}

export interface CastResult {
  vote: Vote;
  choice: BallotChoice;
  /** True for the member's first ballot, false when they changed it. */
  created: boolean;
  /** The member clicked the option their ballot already held. */
  unchanged: boolean;
}

export interface SweepResult extends Record<string, number> {
  closed: number;
  reminders: number;
  applied: number;
  reproposed: number;
  dequeued: number;
  posted: number;
}

const SYSTEM: UserContext = { userId: 'pebblebot', name: 'Pebblebot' };
/** How long a vote read for ballots is reused by the ballots that follow (see ballotBox). */
/**
 * What an admin or proposer is told when secret ballots are on but the deployment has no
 * BALLOT_SECRET: exactly what to set, and how to make one.
 */
export const BALLOT_SECRET_MISSING =
  'Secret ballots are on, but Pebblebot has no BALLOT_SECRET, so no secret vote can open. ' +
  'Whoever runs Pebblebot sets BALLOT_SECRET to a random value of at least 32 characters, the same on every replica ' +
  '(generate one with `openssl rand -hex 32`), and restarts it. Or switch the council to open ballots.';

const BALLOT_BOX_TTL_MS = 1_000;

interface BallotBox {
  vote: Vote;
  electorate: Map<string, CouncilMember>;
}
const SWEEP_BATCH = 200;

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

const ref = voteShortId;

/** Outbox kind of a vote's message in the council channel; its delivery records it on the vote. */
export const COUNCIL_VOTE_KIND = 'council.vote';

/** The outbox key of a vote's message: one message per vote, however often it is queued. */
export function councilVoteKey(workspaceId: string, number: number): string {
  return `council-vote:${workspaceId}:${ref(number)}`;
}

/**
 * The CX council's use cases: settings, proposals, ballots, closing (by deadline or when all
 * have voted), escalation to the sponsor and the consequences of a decision. Every write is
 * one atomic store operation; every message to a person goes through the outbox under an
 * idempotency key, so the sweep can safely redo whatever a crash interrupted.
 */
export class CouncilService {
  readonly refresher: VoteRefresher;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly pebbles: PebbleService;
  private readonly improvements: CouncilImprovements;
  private readonly outbox: OutboxPort;
  private readonly notices: CouncilNotices;
  private readonly seal: BallotSeal;
  private readonly ballotSecret: string | undefined;
  private readonly log: CouncilLog | undefined;
  private readonly platforms = new Map<string, CouncilPlatform>();
  private readonly ballotBoxes = new Map<string, { at: number; box: Promise<BallotBox> }>();

  constructor(deps: CouncilServiceDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.pebbles = deps.pebbles;
    this.improvements = deps.improvements;
    this.outbox = deps.outbox;
    this.notices = deps.notices;
    this.ballotSecret = deps.ballotSecret;
    this.seal = new BallotSeal(deps.ballotSecret ?? '');
    this.log = deps.log;
    this.refresher = new VoteRefresher({
      refresh: (address) => this.refresh(address),
      claim: (key, expiresAt) => this.store.events.claim(key, expiresAt),
      onError: (error, address) =>
        this.log?.warn({ err: error, vote: ref(address.number) }, 'vote message not refreshed'),
      ...(deps.refreshIntervalMs !== undefined ? { intervalMs: deps.refreshIntervalMs } : {}),
    });
    this.outbox.onDelivered(COUNCIL_VOTE_KIND, (message, posted) =>
      this.votePosted(message.workspaceId, message.key, posted),
    );
  }

  /**
   * Connects a chat platform (`slack`, `teams`…: the prefix of its workspaces' ids); the
   * channels start after the services.
   */
  connect(name: string, platform: CouncilPlatform): void {
    this.platforms.set(name, platform);
  }

  private platformOf(workspaceId: string): CouncilPlatform | undefined {
    return this.platforms.get(workspaceId.split(':')[0] ?? '');
  }

  /** Refreshes pending vote messages one last time; call before the store closes. */
  stop(): Promise<void> {
    return this.refresher.stop();
  }

  // ---------------------------------------------------------------- settings

  settings(workspace: Workspace): CouncilSettings {
    return workspace.settings.council;
  }

  isMember(workspace: Workspace, userId: string): boolean {
    return workspace.settings.council.members.some((m) => m.userId === userId);
  }

  /** Throws WORKSPACE.NOT_ADMIN unless the user may change the council (Pebblebot admins). */
  async requireConfigurer(workspace: Workspace, user: UserContext): Promise<void> {
    if (!(await isWorkspaceAdmin(workspace, user))) {
      throw new PebbleError(
        'WORKSPACE.NOT_ADMIN',
        'Only Pebblebot admins can change the council settings.',
      );
    }
  }

  /**
   * What stops a secret vote from opening here, in words an admin can act on; undefined when
   * nothing does. Secret ballot keys need BALLOT_SECRET: without it, anyone holding the
   * database could recompute who chose what while the vote is open.
   */
  ballotSecretProblem(settings: Pick<CouncilSettings, 'secret'>): string | undefined {
    if (!settings.secret || this.ballotSecret) return undefined;
    return BALLOT_SECRET_MISSING;
  }

  /**
   * The workspaces whose council has secret ballots on while this deployment has no
   * BALLOT_SECRET: none of their votes can open until it is set (start-up says so).
   */
  async workspacesMissingBallotSecret(): Promise<Workspace[]> {
    if (this.ballotSecret) return [];
    return (await this.store.workspaces.list()).filter((w) => w.settings.council.secret);
  }

  /**
   * Admins configure the council; every change is recorded in the workspace's history.
   * `warning` says what still stops a vote from opening (secret ballots without BALLOT_SECRET).
   */
  async configure(
    workspace: Workspace,
    user: UserContext,
    patch: CouncilPatch,
  ): Promise<{ workspace: Workspace; changes: string[]; warning?: string }> {
    await this.requireConfigurer(workspace, user);
    const parsed = CouncilPatchSchema.safeParse(patch);
    if (!parsed.success)
      throw new PebbleError('COUNCIL.INVALID_SETTING', formatIssues(parsed.error));
    const fresh = (await this.store.workspaces.get(workspace.id)) ?? workspace;
    const before = fresh.settings.council;
    const group = parsed.data.userGroup;
    const directory = this.platformOf(workspace.id)?.directory;
    if (group && directory && group.id !== before.userGroup?.id) {
      // A council kept in sync with a user group takes the group's members at once.
      parsed.data.members = (await directory.groupMembers(group.id)).slice(0, COUNCIL_MEMBERS_MAX);
    }
    const next = applyPatch(before, parsed.data);
    const checked = CouncilSettingsSchema.safeParse(next);
    if (!checked.success)
      throw new PebbleError('COUNCIL.INVALID_SETTING', formatIssues(checked.error));
    const sponsorBefore = fresh.settings.sponsor;
    const sponsor = parsed.data.sponsor === undefined ? sponsorBefore : parsed.data.sponsor;
    const changes = describeChanges(before, checked.data);
    if (sponsor !== sponsorBefore)
      changes.push(`sponsor: ${sponsorBefore ?? 'none'} → ${sponsor ?? 'none'}`);
    const problem = this.ballotSecretProblem(checked.data);
    const warning = problem ? { warning: problem } : {};
    // An admin touching the council (setting its channel again, say) after inviting the bot:
    // what was refused there is tried once more; still refused, it is given up again.
    if (checked.data.channel) await this.channelReachable(fresh, checked.data.channel);
    if (changes.length === 0) return { workspace: fresh, changes, ...warning };
    const updated = await updateSettingsAudited(
      this.store,
      fresh,
      {
        council: checked.data,
        ...(sponsor !== sponsorBefore ? { sponsor: sponsor ?? undefined } : {}),
      },
      {
        at: this.clock.now(),
        actor: user.userId,
        action: 'council-settings',
        note: changes.join('; ').slice(0, 2_000),
      },
    );
    return { workspace: updated, changes, ...warning };
  }

  /**
   * Replaces the members with a user group's (kept in sync by the platform's events and before
   * each proposal). Functions of members who stay are kept.
   */
  async syncGroup(
    workspace: Workspace,
    groupId: string,
    members: { userId: string; name?: string }[],
  ): Promise<Workspace | undefined> {
    const fresh = (await this.store.workspaces.get(workspace.id)) ?? workspace;
    const council = fresh.settings.council;
    if (council.userGroup?.id !== groupId) return undefined;
    const known = new Map(council.members.map((m) => [m.userId, m]));
    const next = members.slice(0, COUNCIL_MEMBERS_MAX).map((m) => ({
      ...known.get(m.userId),
      userId: m.userId,
      ...(m.name ? { name: m.name } : {}),
    }));
    const changes = describeChanges(council, { ...council, members: next });
    if (changes.length === 0) return fresh;
    return updateSettingsAudited(
      this.store,
      fresh,
      { council: CouncilSettingsSchema.parse({ ...council, members: next }) },
      {
        at: this.clock.now(),
        actor: SYSTEM.userId,
        action: 'council-sync',
        note: `user group ${council.userGroup.handle ?? groupId}: ${changes.join('; ')}`,
      },
    );
  }

  /** Syncs the members with their user group through the platform's directory. */
  async syncFromDirectory(workspace: Workspace, groupId: string): Promise<Workspace | undefined> {
    const directory = this.platformOf(workspace.id)?.directory;
    if (!directory) return undefined;
    return this.syncGroup(workspace, groupId, await directory.groupMembers(groupId));
  }

  // ---------------------------------------------------------------- proposals

  /**
   * Sends triaged, open pebbles to the council (admins and council members): they become "in
   * council", the vote is posted in the council channel, and their reporters and supporters
   * are told.
   */
  async propose(
    workspace: Workspace,
    user: UserContext,
    numbers: number[],
  ): Promise<ProposeResult> {
    const fresh = await this.syncBeforeProposal(
      (await this.store.workspaces.get(workspace.id)) ?? workspace,
    );
    const council = fresh.settings.council;
    if (
      !council.members.some((m) => m.userId === user.userId) &&
      !(await isWorkspaceAdmin(fresh, user))
    ) {
      throw new PebbleError(
        'COUNCIL.NOT_ALLOWED',
        'Only council members and Pebblebot admins can send pebbles to the council.',
      );
    }
    return this.openVote(fresh, user, numbers);
  }

  /** Open votes of the workspace, newest first. */
  async openVotes(workspace: Workspace): Promise<Vote[]> {
    return (
      await this.store.votes.list(workspace.id, { status: ['open', 'escalated'] }, { limit: 50 })
    ).items;
  }

  async getVote(workspace: Workspace, number: number): Promise<Vote> {
    const vote = await this.store.votes.get(workspace.id, number);
    if (!vote)
      throw new PebbleError('COUNCIL.VOTE_NOT_FOUND', `There is no council vote ${ref(number)}.`);
    return vote;
  }

  private async openVote(
    workspace: Workspace,
    user: UserContext,
    requested: number[],
    extra: { reproposedFrom?: number } = {},
  ): Promise<ProposeResult> {
    const council = workspace.settings.council;
    const noSecret = this.ballotSecretProblem(council);
    if (noSecret) throw new PebbleError('COUNCIL.BALLOT_SECRET_MISSING', noSecret);
    if (!council.channel) {
      throw new PebbleError(
        'COUNCIL.NOT_CONFIGURED',
        'The council has no channel yet: an admin sets it with `/pebble config council channel #channel`.',
      );
    }
    if (council.members.length === 0) {
      throw new PebbleError(
        'COUNCIL.NOT_CONFIGURED',
        'The council has no members yet: an admin adds them with `/pebble config council members @ana @ben`.',
      );
    }
    const numbers = [...new Set(requested)];
    if (numbers.length === 0)
      throw new PebbleError('COMMAND.USAGE', 'Name the pebbles to propose, e.g. `P-12 P-15`.');
    if (numbers.length > PEBBLES_PER_VOTE_MAX)
      throw new PebbleError(
        'COUNCIL.NOT_PROPOSABLE',
        `One proposal holds at most ${PEBBLES_PER_VOTE_MAX} pebbles.`,
      );
    const found = await Promise.all(numbers.map((n) => this.pebbles.get(workspace, n)));
    const reasons = found
      .map((p) => notProposableReason(p, shortId(p.number)))
      .filter((r): r is string => Boolean(r));
    if (reasons.length) throw new PebbleError('COUNCIL.NOT_PROPOSABLE', reasons.join(' '));

    const now = this.clock.now();
    const moved: Pebble[] = [];
    try {
      for (const pebble of found) {
        if (pebble.status === 'new')
          await this.pebbles.transition(workspace, user, pebble.number, 'triaged', {
            reason: 'triaged on its way to the council',
          });
        moved.push(
          await this.pebbles.transition(workspace, user, pebble.number, 'in-council', {
            reason: 'proposed to the council',
          }),
        );
      }
    } catch (error) {
      // All or nothing: the pebbles already moved go back to triage.
      for (const pebble of moved) {
        await this.pebbles
          .transition(workspace, SYSTEM, pebble.number, 'triaged', { reason: 'proposal failed' })
          .catch(() => undefined);
      }
      throw error;
    }

    const deadline = addWorkingDays(now, council.votingDays, workspace.settings.timezone);
    const remindAt = reminderTime(now, deadline);
    const vote = await this.store.votes.create({
      workspaceId: workspace.id,
      pebbleNumbers: moved.map((p) => p.number),
      proposedBy: user.userId,
      status: 'open',
      electorate: council.members,
      rules: {
        ...(council.quorum !== undefined ? { quorum: council.quorum } : {}),
        threshold: council.threshold,
        ...(council.balance !== undefined ? { balance: council.balance } : {}),
        secret: council.secret,
        wipLimit: council.wipLimit,
      },
      channelId: council.channel,
      openedAt: now,
      deadline,
      ...(remindAt ? { remindAt } : {}),
      ...(council.secret ? { sealSalt: BallotSeal.newSalt() } : {}),
      applied: false,
      ...(extra.reproposedFrom ? { reproposedFrom: extra.reproposedFrom } : {}),
      createdAt: now,
      updatedAt: now,
      history: [
        {
          at: now,
          actor: user.userId,
          action: 'proposed',
          to: 'open',
          note: moved.map((p) => shortId(p.number)).join(', '),
        },
      ],
    });
    this.log?.info(
      { vote: ref(vote.number), pebbles: vote.pebbleNumbers.length },
      'council vote opened',
    );
    const posted = await this.post(workspace, vote);
    for (const pebble of moved) {
      for (const userId of stakeholdersOf(pebble, user.userId)) {
        await this.send({
          key: `council-proposed:${workspace.id}:${ref(vote.number)}:${pebble.number}:${userId}`,
          workspaceId: workspace.id,
          kind: 'council.proposed',
          target: { kind: 'dm', userId },
          view: this.notices.proposed(
            vote,
            pebble,
            userId === pebble.reporter.userId ? 'reporter' : 'supporter',
          ),
        });
      }
    }
    return { vote, pebbles: moved, posted };
  }

  private async syncBeforeProposal(workspace: Workspace): Promise<Workspace> {
    const group = workspace.settings.council.userGroup;
    const directory = group ? this.platformOf(workspace.id)?.directory : undefined;
    if (!group || !directory) return workspace;
    try {
      return (
        (await this.syncGroup(workspace, group.id, await directory.groupMembers(group.id))) ??
        workspace
      );
    } catch (error) {
      this.log?.warn({ err: error }, 'council user group not synced; using the stored members');
      return workspace;
    }
  }

  /**
   * Queues the vote message for the council channel under the vote's key. The outbox posts it
   * once, retrying until Slack takes it or refuses it for good and looking for a lost answer
   * before each retry; its delivery records it on the vote (votePosted). True when it was
   * queued now, false when it already was or could not be (the sweep queues it again).
   */
  private async post(workspace: Workspace, vote: Vote): Promise<boolean> {
    if (vote.message) return false;
    try {
      return await this.send({
        key: councilVoteKey(workspace.id, vote.number),
        workspaceId: workspace.id,
        kind: COUNCIL_VOTE_KIND,
        target: { kind: 'channel', channelId: vote.channelId },
        view: await this.voteView(workspace, vote),
      });
    } catch (error) {
      this.log?.warn({ err: error, vote: ref(vote.number) }, 'vote message not queued yet');
      return false;
    }
  }

  /**
   * Records where the vote message was posted, then refreshes it once: the view was made when
   * it was queued, so ballots cast while it waited (a Slack outage) or a close meanwhile would
   * otherwise not show. A repeat (a delivery found again after a crash) changes nothing.
   */
  private async votePosted(workspaceId: string, key: string, posted: MessageRef): Promise<void> {
    const number = Number(/:V-(\d+)$/.exec(key)?.[1]);
    if (!Number.isInteger(number)) return;
    const vote = await this.store.votes.update(workspaceId, number, {
      set: { message: posted },
      if: { noMessage: true },
      history: { at: this.clock.now(), actor: SYSTEM.userId, action: 'posted' },
    });
    if (vote) this.refresher.request(address(vote));
  }

  /**
   * The bot can now post in a channel (it was invited, or the council was configured again):
   * vote messages the platform refused there for good (the bot not in the channel) are put
   * back in the outbox, which posts each once. Returns how many.
   */
  async channelReachable(workspace: Workspace, channelId: string): Promise<number> {
    const reopened = await this.outbox.reopenChannel(workspace.id, channelId, [COUNCIL_VOTE_KIND]);
    if (reopened)
      this.log?.info({ channelId, reopened }, 'vote messages refused in this channel queued again');
    return reopened;
  }

  // ---------------------------------------------------------------- ballots

  /**
   * Records a member's ballot (or recusal), replacing their earlier one, until the vote
   * closes. A non-member changes nothing. One insert, or one update of the member's own
   * ballot: nothing shared is updated, so concurrent ballots never overwrite each other.
   */
  async cast(
    workspace: Workspace,
    user: UserContext,
    number: number,
    choice: BallotChoice,
  ): Promise<CastResult> {
    const parsed = BallotChoiceSchema.safeParse(choice);
    if (!parsed.success) throw new PebbleError('COMMAND.USAGE', 'That is not a ballot option.');
    const { vote, electorate } = await this.ballotBox(workspace, number);
    const member = electorate.get(user.userId);
    if (!member) {
      throw new PebbleError(
        'COUNCIL.NOT_A_MEMBER',
        `Only council members vote on ${ref(number)}; your click changed nothing.`,
      );
    }
    if (vote.status !== 'open' || this.clock.now() >= vote.deadline) {
      throw new PebbleError(
        'COUNCIL.VOTE_CLOSED',
        `${ref(number)} is closed; ballots are no longer accepted.`,
      );
    }
    const key = this.seal.keyOf(vote, user.userId);
    const name = vote.rules.secret ? undefined : (member.name ?? user.name);
    const { created, unchanged } = await this.store.ballots.cast(vote.id, key, parsed.data, name);
    if (!unchanged) this.refresher.request(address(vote));
    return { vote, choice: parsed.data, created, unchanged: unchanged === true };
  }

  /**
   * The vote as ballots see it, read once per second per vote in this process: a burst of
   * ballots (a whole council clicking at once) shares one read instead of parsing the vote,
   * electorate included, per click. A close here drops it at once; a close on another replica
   * is seen within the second, and a ballot that lands after the close is never counted.
   */
  private ballotBox(workspace: Workspace, number: number): Promise<BallotBox> {
    const key = `${workspace.id}:${number}`;
    const now = Date.now();
    const cached = this.ballotBoxes.get(key);
    if (cached && now - cached.at < BALLOT_BOX_TTL_MS) return cached.box;
    const box = this.getVote(workspace, number).then((vote) => ({
      vote,
      electorate: new Map(vote.electorate.map((m) => [m.userId, m])),
    }));
    this.ballotBoxes.set(key, { at: now, box });
    box.catch(() => this.ballotBoxes.delete(key));
    if (this.ballotBoxes.size > 1_000) {
      const [oldest] = this.ballotBoxes.keys();
      if (oldest !== undefined) this.ballotBoxes.delete(oldest);
    }
    return box;
  }

  /** Turnout of a vote (never who chose what). */
  async progress(vote: Vote): Promise<VoteProgress> {
    const counts = await this.store.ballots.counts(vote.id);
    const voted =
      counts['fix-now'] + counts['next-cycle'] + counts['not-now'] + counts['need-info'];
    return { voted, recused: counts.recuse };
  }

  /** Renders the vote as it stands and closes it early when every member has a ballot. */
  private async refresh(at: VoteAddress): Promise<void> {
    const workspace = await this.store.workspaces.get(at.workspaceId);
    const vote = await this.store.votes.get(at.workspaceId, at.number);
    if (!workspace || !vote) return;
    if (vote.status === 'open') {
      const progress = await this.progress(vote);
      if (
        vote.electorate.length > 0 &&
        progress.voted + progress.recused >= vote.electorate.length
      ) {
        // Closing asks for another refresh, in the next slot, which shows the result.
        await this.close(workspace, vote, 'all-voted');
        return;
      }
      await this.render(workspace, vote, progress);
      return;
    }
    await this.render(workspace, vote);
  }

  private async voteView(workspace: Workspace, vote: Vote, progress?: VoteProgress) {
    const pebbles = await this.pebblesOf(workspace, vote);
    return this.notices.voteMessage(
      vote,
      pebbles,
      progress ?? (vote.status === 'open' ? await this.progress(vote) : { voted: 0, recused: 0 }),
      workspace.settings,
    );
  }

  /**
   * Updates the vote message in place. One still in the outbox is left alone: posting it is
   * the outbox's job, and its delivery asks for a refresh.
   */
  private async render(workspace: Workspace, vote: Vote, progress?: VoteProgress): Promise<void> {
    const gateway = this.platformOf(workspace.id)?.gateway;
    if (!gateway || !vote.message) return;
    await gateway.update(
      workspace.id,
      vote.message,
      await this.voteView(workspace, vote, progress),
    );
  }

  // ---------------------------------------------------------------- closing

  /**
   * Closes an open vote: counts the ballots, applies quorum, balance and threshold, records the
   * result, erases the secret ballots' salt, then carries out the decision or escalates.
   * Closing twice (two sweeps, a sweep and the last ballot) records one result.
   */
  async close(
    workspace: Workspace,
    vote: Vote,
    by: 'deadline' | 'all-voted' | 'early',
    early?: { actor: string; reason: string },
  ): Promise<Vote> {
    if (vote.status !== 'open') return vote;
    const result = await this.result(vote);
    const now = this.clock.now();
    const decision: Decision | undefined =
      result.outcome === 'decided' && result.winner
        ? { option: result.winner, by: 'council', at: now }
        : undefined;
    const closed = await this.store.votes.update(workspace.id, vote.number, {
      set: {
        status: decision ? 'decided' : 'escalated',
        result,
        closedAt: now,
        closedBy: by,
        ...(early ? { closeReason: early.reason } : {}),
        applied: false,
        ...(decision ? { decision } : {}),
      },
      unset: ['sealSalt'],
      if: { status: ['open'] },
      history: {
        at: now,
        actor: early?.actor ?? SYSTEM.userId,
        action: 'closed',
        from: 'open',
        to: decision ? 'decided' : 'escalated',
        note: `${by}${early ? ` (${early.reason})` : ''}: ${result.outcome}${decision ? ` (${OPTION_LABELS[decision.option]})` : ''}`,
      },
    });
    this.ballotBoxes.delete(`${workspace.id}:${vote.number}`);
    if (!closed) return (await this.store.votes.get(workspace.id, vote.number)) ?? vote;
    this.log?.info({ vote: ref(vote.number), by, outcome: result.outcome }, 'council vote closed');
    if (vote.rules.secret)
      await this.store.ballots
        .forgetWriteOrder()
        .catch((error: unknown) => this.log?.warn({ err: error }, 'ballot files not compacted'));
    return this.afterClose(workspace, closed);
  }

  /**
   * Closes an open vote before its deadline (admins and the executive sponsor), with a reason
   * the council reads on the vote. The ballots cast so far are counted under the usual rules:
   * quorum not met escalates, as at the deadline.
   */
  async closeEarly(
    workspace: Workspace,
    user: UserContext,
    number: number,
    reason: string,
  ): Promise<Vote> {
    const fresh = (await this.store.workspaces.get(workspace.id)) ?? workspace;
    const allowed = fresh.settings.sponsor === user.userId || (await isWorkspaceAdmin(fresh, user));
    if (!allowed)
      throw new PebbleError(
        'COUNCIL.NOT_ALLOWED',
        `Only Pebblebot admins and the executive sponsor can close ${ref(number)} early.`,
      );
    const why = cleanText(reason).trim();
    if (!why)
      throw new PebbleError('COMMAND.USAGE', `Say why ${ref(number)} closes before its deadline.`);
    if (why.length > 500)
      throw new PebbleError('COMMAND.USAGE', 'Keep the reason to 500 characters.');
    const vote = await this.getVote(fresh, number);
    if (vote.status !== 'open')
      throw new PebbleError('COUNCIL.VOTE_CLOSED', `${ref(number)} is already closed.`);
    const closed = await this.close(fresh, vote, 'early', { actor: user.userId, reason: why });
    this.refresher.request(address(closed));
    return closed;
  }

  /** Counts the ballots and applies the rules. Names are kept for open ballots only. */
  private async result(vote: Vote): Promise<VoteResult> {
    const ballots = await this.store.ballots.list(vote.id);
    const { tally, recused } = tallyOf(ballots.map((b) => b.choice));
    // The balance rule needs who voted (not what): keys are recomputed for the members,
    // in memory only, while the salt still exists.
    const byKey = new Map(ballots.map((b) => [b.key, b]));
    const voters = vote.electorate.filter((m) => {
      const ballot = byKey.get(this.seal.keyOf(vote, m.userId));
      return ballot !== undefined && ballot.choice !== 'recuse';
    });
    const outcome = decideOutcome({
      tally,
      recused,
      electorate: vote.electorate.length,
      functionsVoted: distinctFunctions(voters),
      rules: vote.rules,
    });
    let names: VoteResult['names'];
    if (!vote.rules.secret) {
      names = {};
      for (const ballot of ballots) {
        const userId = BallotSeal.memberOf(ballot.key);
        if (!userId) continue;
        (names[ballot.choice] ??= []).push({
          userId,
          ...(ballot.name ? { name: ballot.name } : {}),
        });
      }
    }
    return {
      tally,
      cast: outcome.cast,
      recused,
      electorate: vote.electorate.length,
      quorumRequired: outcome.quorumRequired,
      quorumMet: outcome.quorumMet,
      functionsVoted: distinctFunctions(voters),
      ...(vote.rules.balance !== undefined ? { balanceRequired: vote.rules.balance } : {}),
      balanceMet: outcome.balanceMet,
      thresholdMet: outcome.thresholdMet,
      outcome: outcome.outcome,
      ...(outcome.winner ? { winner: outcome.winner } : {}),
      leading: outcome.leading,
      ...(names ? { names } : {}),
    };
  }

  /** What follows a close: the decision's consequences, or the escalation. Idempotent. */
  private async afterClose(workspace: Workspace, vote: Vote): Promise<Vote> {
    if (vote.status === 'decided') return this.applyDecision(workspace, vote);
    if (vote.status !== 'escalated' || vote.applied) return vote;
    const pebbles = await this.pebblesOf(workspace, vote);
    const sponsor = workspace.settings.sponsor;
    await this.send(
      sponsor
        ? {
            key: `council-escalation:${workspace.id}:${ref(vote.number)}`,
            workspaceId: workspace.id,
            kind: 'council.escalation',
            target: { kind: 'dm', userId: sponsor },
            view: this.notices.escalation(vote, pebbles, workspace.settings),
          }
        : {
            key: `council-escalation:${workspace.id}:${ref(vote.number)}`,
            workspaceId: workspace.id,
            kind: 'council.escalation',
            target: { kind: 'channel', channelId: vote.channelId },
            view: this.notices.escalationWithoutSponsor(vote, pebbles, workspace.settings),
          },
    );
    const marked = await this.markApplied(
      workspace,
      vote,
      'escalated',
      sponsor ? 'to the sponsor' : 'no sponsor: admins decide',
    );
    this.refresher.request(address(vote));
    return marked;
  }

  // ---------------------------------------------------------------- escalation

  /**
   * The sponsor decides a vote the council could not (tie, no quorum, unmet balance, no
   * majority). Without a sponsor, Pebblebot admins decide.
   */
  async sponsorDecide(
    workspace: Workspace,
    user: UserContext,
    number: number,
    option: VoteOption,
    reason?: string,
  ): Promise<Vote> {
    const chosen = VoteOptionSchema.safeParse(option);
    if (!chosen.success) throw new PebbleError('COMMAND.USAGE', 'That is not a decision option.');
    const fresh = (await this.store.workspaces.get(workspace.id)) ?? workspace;
    const sponsor = fresh.settings.sponsor;
    const allowed = sponsor ? user.userId === sponsor : await isWorkspaceAdmin(fresh, user);
    if (!allowed) {
      throw new PebbleError(
        'COUNCIL.NOT_ALLOWED',
        sponsor
          ? 'Only the executive sponsor decides an escalated vote.'
          : 'There is no executive sponsor: only Pebblebot admins decide escalated votes.',
      );
    }
    const vote = await this.getVote(fresh, number);
    if (vote.status === 'open')
      throw new PebbleError(
        'COUNCIL.NOT_ALLOWED',
        `${ref(number)} is still open; the council is voting.`,
      );
    if (vote.decision)
      throw new PebbleError(
        'COUNCIL.VOTE_CLOSED',
        `${ref(number)} is already decided: ${OPTION_LABELS[vote.decision.option]}.`,
      );
    const now = this.clock.now();
    const why = reason === undefined ? undefined : cleanText(reason).trim().slice(0, 500);
    const decided = await this.store.votes.update(fresh.id, number, {
      set: {
        status: 'decided',
        applied: false,
        decision: {
          option: chosen.data,
          by: 'sponsor',
          userId: user.userId,
          at: now,
          ...(why ? { reason: why } : {}),
        },
      },
      if: { status: ['escalated'], undecided: true },
      history: {
        at: now,
        actor: user.userId,
        action: 'sponsor-decision',
        from: 'escalated',
        to: 'decided',
        note: OPTION_LABELS[chosen.data],
      },
    });
    if (!decided)
      throw new PebbleError(
        'COUNCIL.CONFLICT',
        `${ref(number)} was decided just now by someone else.`,
      );
    return this.applyDecision(fresh, decided);
  }

  /**
   * The council's reason for "Not now" (members, the sponsor, admins): recorded on the vote and
   * the declined pebbles, and sent to their reporters and supporters.
   */
  async explain(
    workspace: Workspace,
    user: UserContext,
    number: number,
    reason: string,
  ): Promise<Vote> {
    const why = typedText(z.string().trim().min(1).max(500)).safeParse(reason);
    if (!why.success)
      throw new PebbleError(
        'PEBBLE.INVALID_INPUT',
        'Say in a few words why not now (500 characters at most).',
      );
    const fresh = (await this.store.workspaces.get(workspace.id)) ?? workspace;
    const vote = await this.requireReasonGiver(fresh, user, number);
    if (vote.decision?.option !== 'not-now')
      throw new PebbleError('COUNCIL.CONFLICT', `${ref(number)} was not decided "Not now".`);
    const now = this.clock.now();
    const updated = await this.store.votes.update(fresh.id, number, {
      set: { decision: { ...vote.decision, reason: why.data } },
      if: { status: ['decided'] },
      history: { at: now, actor: user.userId, action: 'reason', note: why.data },
    });
    if (!updated)
      throw new PebbleError('COUNCIL.CONFLICT', `${ref(number)} changed just now; try again.`);
    for (const n of vote.pebbleNumbers) {
      await this.store.pebbles.update(fresh.id, n, {
        set: { declineReason: why.data },
        ifStatus: ['declined'],
        history: { at: now, actor: user.userId, action: 'decline-reason', note: ref(number) },
      });
    }
    await this.tellStakeholders(fresh, updated, `reason-${updated.history.length}`);
    this.refresher.request(address(updated));
    return updated;
  }

  // ---------------------------------------------------------------- decisions

  /**
   * Carries out a decision; every step can be redone safely (pebble moves are conditional,
   * the improvement is keyed by the vote, messages by idempotency keys).
   */
  private async applyDecision(workspace: Workspace, vote: Vote): Promise<Vote> {
    if (!vote.decision || vote.applied) return vote;
    const option = vote.decision.option;
    const pebbles = await this.pebblesOf(workspace, vote);
    let current = vote;
    switch (option) {
      case 'fix-now': {
        const planned = await this.planImprovement(workspace, current, pebbles);
        if (!planned) return current;
        current = planned;
        await this.moveAll(workspace, current, 'approved');
        break;
      }
      case 'next-cycle': {
        await this.moveAll(workspace, current, 'triaged');
        const at = nextCycleStart(
          this.clock.now(),
          workspace.settings.council.cycle,
          workspace.settings.timezone,
        );
        current =
          (await this.store.votes.update(workspace.id, current.number, {
            set: { reproposeAt: at },
            if: { notReproposed: true },
            history: {
              at: this.clock.now(),
              actor: SYSTEM.userId,
              action: 'next-cycle',
              note: at.toISOString(),
            },
          })) ?? current;
        break;
      }
      case 'not-now':
        await this.moveAll(
          workspace,
          current,
          'declined',
          vote.decision.reason ?? `Not now: the council decided in ${ref(vote.number)}.`,
        );
        break;
      case 'need-info':
        await this.moveAll(workspace, current, 'triaged');
        for (const pebble of pebbles) {
          await this.send({
            key: `council-need-info:${workspace.id}:${ref(vote.number)}:${pebble.number}`,
            workspaceId: workspace.id,
            kind: 'council.need-info',
            target: { kind: 'dm', userId: pebble.reporter.userId },
            view: this.notices.needInfo(current, pebble),
          });
        }
        break;
    }
    await this.tellStakeholders(workspace, current);
    const done = await this.markApplied(workspace, current, 'applied', OPTION_LABELS[option]);
    this.refresher.request(address(done));
    return done;
  }

  /**
   * "Fix now": a planned improvement for the pebbles, unless the WIP limit is reached, in which
   * case the council is asked what to displace (or to queue it). Undefined while waiting.
   */
  private async planImprovement(
    workspace: Workspace,
    vote: Vote,
    pebbles: Pebble[],
  ): Promise<Vote | undefined> {
    if (vote.improvementNumber) return vote;
    const limit = vote.rules.wipLimit;
    const wip = vote.wip?.status;
    if (wip === 'asked') return undefined;
    const active = await this.improvements.countActive(workspace);
    if (wip === 'queued' && !withinWip(active, limit)) return undefined;
    if (wip === undefined && !withinWip(active, limit)) {
      const asked = await this.store.votes.update(workspace.id, vote.number, {
        set: { wip: { status: 'asked', active, limit } },
        if: { applied: false },
        history: {
          at: this.clock.now(),
          actor: SYSTEM.userId,
          action: 'wip-limit',
          note: `${active} of ${limit} active`,
        },
      });
      const current = asked ?? vote;
      const list = await this.improvements.list(
        workspace,
        { status: ['planned', 'on-track', 'at-risk', 'blocked'] },
        { limit: 20 },
      );
      await this.send({
        key: `council-wip:${workspace.id}:${ref(vote.number)}`,
        workspaceId: workspace.id,
        kind: 'council.wip',
        target: { kind: 'channel', channelId: vote.channelId },
        view: this.notices.wipQuestion(current, list.items, workspace.settings),
      });
      this.refresher.request(address(current));
      return undefined;
    }
    const improvement = await this.improvements.createPlanned(
      workspace,
      {
        title: improvementTitle(pebbles),
        pebbleNumbers: vote.pebbleNumbers,
        voteNumber: vote.number,
      },
      SYSTEM,
    );
    const updated =
      (await this.store.votes.update(workspace.id, vote.number, {
        set: {
          improvementNumber: improvement.number,
          ...(wip === 'queued' && vote.wip
            ? { wip: { ...vote.wip, status: 'dequeued' as const } }
            : {}),
        },
        history: {
          at: this.clock.now(),
          actor: SYSTEM.userId,
          action: 'improvement',
          to: improvementShortId(improvement.number),
        },
      })) ?? vote;
    await this.send({
      key: `council-owner:${workspace.id}:${ref(vote.number)}`,
      workspaceId: workspace.id,
      kind: 'council.owner-wanted',
      target: { kind: 'channel', channelId: vote.channelId },
      view: this.notices.ownerWanted(updated, improvement),
    });
    return updated;
  }

  /**
   * The council's answer to the WIP question: displace an active improvement (it is dropped,
   * by the council's decision right) or queue this one until a slot frees up.
   */
  async resolveWip(
    workspace: Workspace,
    user: UserContext,
    number: number,
    answer: { kind: 'displace'; improvement: number } | { kind: 'queue' },
  ): Promise<Vote> {
    const fresh = (await this.store.workspaces.get(workspace.id)) ?? workspace;
    const vote = await this.getVote(fresh, number);
    if (!(await this.speaksForCouncil(fresh, user, vote)))
      throw new PebbleError(
        'COUNCIL.NOT_A_MEMBER',
        'Only council members answer the WIP question.',
      );
    if (vote.wip?.status !== 'asked')
      throw new PebbleError(
        'COUNCIL.CONFLICT',
        `The WIP question of ${ref(number)} is already answered.`,
      );
    const now = this.clock.now();
    if (answer.kind === 'queue') {
      const queued = await this.store.votes.update(fresh.id, number, {
        set: { wip: { ...vote.wip, status: 'queued', by: user.userId } },
        if: { wipStatus: ['asked'] },
        history: { at: now, actor: user.userId, action: 'wip-queued' },
      });
      if (!queued)
        throw new PebbleError(
          'COUNCIL.CONFLICT',
          `The WIP question of ${ref(number)} is already answered.`,
        );
      this.refresher.request(address(queued));
      return queued;
    }
    const claimed = await this.store.votes.update(fresh.id, number, {
      set: {
        wip: { ...vote.wip, status: 'displaced', displaced: answer.improvement, by: user.userId },
      },
      if: { wipStatus: ['asked'] },
      history: {
        at: now,
        actor: user.userId,
        action: 'wip-displaced',
        to: improvementShortId(answer.improvement),
      },
    });
    if (!claimed)
      throw new PebbleError(
        'COUNCIL.CONFLICT',
        `The WIP question of ${ref(number)} is already answered.`,
      );
    try {
      // The council's decision right: displacing is its call, not only an admin's.
      await this.improvements.drop(
        fresh,
        { userId: user.userId, ...(user.name ? { name: user.name } : {}), platformAdmin: true },
        answer.improvement,
        `Displaced by council vote ${ref(number)}`,
      );
    } catch (error) {
      await this.store.votes.update(fresh.id, number, {
        set: { wip: { ...vote.wip, status: 'asked' } },
        history: {
          at: this.clock.now(),
          actor: SYSTEM.userId,
          action: 'wip-reasked',
          note: 'displacing failed',
        },
      });
      throw error;
    }
    return this.applyDecision(fresh, claimed);
  }

  private async tellStakeholders(
    workspace: Workspace,
    vote: Vote,
    revision?: string,
  ): Promise<void> {
    const pebbles = await this.pebblesOf(workspace, vote);
    const concerns = new Map<string, { pebbles: Pebble[]; reporter: boolean }>();
    for (const pebble of pebbles) {
      for (const userId of stakeholdersOf(pebble)) {
        const entry = concerns.get(userId) ?? { pebbles: [], reporter: false };
        entry.pebbles.push(pebble);
        entry.reporter ||= pebble.reporter.userId === userId;
        concerns.set(userId, entry);
      }
    }
    for (const [userId, entry] of concerns) {
      await this.send({
        key: `council-decision:${workspace.id}:${ref(vote.number)}:${userId}${revision ? `:${revision}` : ''}`,
        workspaceId: workspace.id,
        kind: 'council.decision',
        target: { kind: 'dm', userId },
        view: this.notices.decided(vote, entry.pebbles, entry.reporter ? 'reporter' : 'supporter'),
      });
    }
  }

  /** Moves the vote's pebbles that are still before the council; others are left alone. */
  private async moveAll(
    workspace: Workspace,
    vote: Vote,
    to: PebbleStatus,
    reason?: string,
  ): Promise<void> {
    for (const number of vote.pebbleNumbers) {
      const pebble = await this.pebbles.get(workspace, number).catch(() => undefined);
      if (!pebble || pebble.status === to || !canTransition(pebble.status, to)) continue;
      if (pebble.status !== 'in-council') continue;
      try {
        await this.pebbles.transition(workspace, SYSTEM, number, to, {
          reason: reason ?? `council vote ${ref(vote.number)}`,
        });
      } catch (error) {
        if (!isPebbleError(error, 'PEBBLE.CONFLICT')) throw error;
      }
    }
  }

  private async markApplied(
    workspace: Workspace,
    vote: Vote,
    action: string,
    note: string,
  ): Promise<Vote> {
    return (
      (await this.store.votes.update(workspace.id, vote.number, {
        set: { applied: true },
        if: { applied: false, status: [vote.status] },
        history: { at: this.clock.now(), actor: SYSTEM.userId, action, note },
      })) ?? vote
    );
  }

  // ---------------------------------------------------------------- sweep

  /**
   * The scheduled sweep over every workspace, from the store (so a restart loses nothing):
   * closes votes past their deadline, reminds non-voters once, redoes interrupted
   * consequences, re-proposes "next cycle" pebbles, plans queued improvements when the WIP
   * allows, and queues vote messages that could not be queued (a safety net: the outbox's
   * key makes a repeat a no-op, and it alone posts).
   */
  async sweep(now: Date = this.clock.now(), signal?: AbortSignal): Promise<SweepResult> {
    const result: SweepResult = {
      closed: 0,
      reminders: 0,
      applied: 0,
      reproposed: 0,
      dequeued: 0,
      posted: 0,
    };
    const votes = await this.store.votes.needingAttention(now, SWEEP_BATCH);
    const workspaces = new Map<string, Workspace | null>();
    const workspaceOf = async (id: string) => {
      if (!workspaces.has(id)) workspaces.set(id, await this.store.workspaces.get(id));
      return workspaces.get(id) ?? undefined;
    };
    for (const vote of votes) {
      if (signal?.aborted) break;
      const workspace = await workspaceOf(vote.workspaceId);
      if (!workspace) continue;
      try {
        await this.attend(workspace, vote, now, result);
      } catch (error) {
        this.log?.warn({ err: error, vote: ref(vote.number) }, 'council sweep: vote skipped');
      }
    }
    return result;
  }

  private async attend(
    workspace: Workspace,
    vote: Vote,
    now: Date,
    result: SweepResult,
  ): Promise<void> {
    if (vote.status === 'open' && vote.deadline <= now) {
      await this.close(workspace, vote, 'deadline');
      result.closed++;
      return;
    }
    if (vote.status === 'open') {
      if (!vote.message && (await this.post(workspace, vote))) result.posted++;
      if (vote.remindAt && vote.remindAt <= now && !vote.remindedAt)
        result.reminders += await this.remind(workspace, vote, now);
      return;
    }
    if (!vote.applied) {
      if (vote.wip?.status === 'asked') return;
      if (vote.wip?.status === 'queued') {
        const done = await this.applyDecision(workspace, vote);
        if (done.improvementNumber) result.dequeued++;
        return;
      }
      await this.afterClose(workspace, vote);
      result.applied++;
      return;
    }
    if (vote.reproposeAt && vote.reproposeAt <= now && !vote.reproposedAs) {
      if (await this.repropose(workspace, vote)) result.reproposed++;
    }
  }

  /** One reminder, by DM, to each member without a ballot (recusals count as answered). */
  private async remind(workspace: Workspace, vote: Vote, now: Date): Promise<number> {
    const keys = new Map(vote.electorate.map((m) => [this.seal.keyOf(vote, m.userId), m]));
    const present = new Set(await this.store.ballots.present(vote.id, [...keys.keys()]));
    const pebbles = await this.pebblesOf(workspace, vote);
    let sent = 0;
    for (const [key, member] of keys) {
      if (present.has(key)) continue;
      const queued = await this.send({
        key: `council-reminder:${workspace.id}:${ref(vote.number)}:${member.userId}`,
        workspaceId: workspace.id,
        kind: 'council.reminder',
        target: { kind: 'dm', userId: member.userId },
        view: this.notices.reminder(vote, pebbles, workspace.settings),
      });
      if (queued) sent++;
    }
    await this.store.votes.update(workspace.id, vote.number, {
      set: { remindedAt: now },
      if: { notReminded: true, status: ['open'] },
      history: { at: now, actor: SYSTEM.userId, action: 'reminded', note: `${sent} not voted yet` },
    });
    return sent;
  }

  /**
   * "Next cycle": the pebbles still triaged go before the council again. A pebble already back
   * in council (a sweep interrupted after proposing) is not proposed twice.
   */
  private async repropose(workspace: Workspace, vote: Vote): Promise<boolean> {
    const pebbles = await this.pebblesOf(workspace, vote);
    const again = pebbles.filter((p) => p.status === 'triaged').map((p) => p.number);
    let next: Vote | undefined;
    if (
      again.length &&
      workspace.settings.council.channel &&
      workspace.settings.council.members.length
    ) {
      const fresh = await this.syncBeforeProposal(workspace);
      next = (await this.openVote(fresh, SYSTEM, again, { reproposedFrom: vote.number })).vote;
    }
    await this.store.votes.update(workspace.id, vote.number, {
      ...(next ? { set: { reproposedAs: next.number } } : {}),
      unset: ['reproposeAt'],
      if: { notReproposed: true },
      history: {
        at: this.clock.now(),
        actor: SYSTEM.userId,
        action: 'reproposed',
        note: next ? ref(next.number) : 'nothing left to propose',
      },
    });
    return Boolean(next);
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Throws COUNCIL.NOT_A_MEMBER unless the user may give the council's reason on this vote;
   * channels call it before opening the reason form. Returns the vote.
   */
  async requireReasonGiver(workspace: Workspace, user: UserContext, number: number): Promise<Vote> {
    const vote = await this.getVote(workspace, number);
    if (!(await this.speaksForCouncil(workspace, user, vote)))
      throw new PebbleError(
        'COUNCIL.NOT_A_MEMBER',
        "Only council members give the council's reason.",
      );
    return vote;
  }

  /** The vote's electorate, the sponsor and admins speak for the council after a vote. */
  private async speaksForCouncil(workspace: Workspace, user: UserContext, vote: Vote) {
    // The admin check last: it may ask the platform, which is slow.
    return (
      vote.electorate.some((m) => m.userId === user.userId) ||
      workspace.settings.sponsor === user.userId ||
      (await isWorkspaceAdmin(workspace, user))
    );
  }

  private async pebblesOf(workspace: Workspace, vote: Vote): Promise<Pebble[]> {
    const found = await Promise.all(
      vote.pebbleNumbers.map((n) => this.store.pebbles.get(workspace.id, n)),
    );
    return found.filter((p): p is Pebble => p !== null);
  }

  private send(message: OutgoingMessage): Promise<boolean> {
    return this.outbox.enqueue(message);
  }
}

function address(vote: Vote): VoteAddress {
  return { workspaceId: vote.workspaceId, voteId: vote.id, number: vote.number };
}

function improvementTitle(pebbles: Pebble[]): string {
  const [first] = pebbles;
  if (!first) return 'Council decision';
  const title =
    pebbles.length === 1 ? first.title : `${first.title} (+${pebbles.length - 1} related)`;
  return title.length <= TITLE_MAX ? title : `${title.slice(0, TITLE_MAX - 1)}…`;
}

/** Applies a parsed patch to the council settings (unvalidated result). */
function applyPatch(
  before: CouncilSettings,
  patch: z.infer<typeof CouncilPatchSchema>,
): CouncilSettings {
  let members: CouncilMember[] = patch.members
    ? patch.members.map((m) => ({ ...before.members.find((b) => b.userId === m.userId), ...m }))
    : [...before.members];
  for (const added of patch.addMembers ?? []) {
    const at = members.findIndex((m) => m.userId === added.userId);
    if (at === -1) members.push(added);
    else members[at] = { ...members[at], ...added };
  }
  if (patch.removeMembers?.length) {
    const gone = new Set(patch.removeMembers);
    members = members.filter((m) => !gone.has(m.userId));
  }
  for (const [userId, fn] of Object.entries(patch.functions ?? {})) {
    const at = members.findIndex((m) => m.userId === userId);
    if (at === -1) {
      throw new PebbleError(
        'COUNCIL.INVALID_SETTING',
        `${userId} is not on the council; add them first.`,
      );
    }
    const { function: _old, ...rest } = members[at]!;
    members[at] = fn ? { ...rest, function: fn } : rest;
  }
  const next: CouncilSettings = { ...before, members: dedupe(members) };
  const optional = <K extends 'userGroup' | 'channel' | 'quorum' | 'balance'>(key: K) => {
    const value = patch[key];
    if (value === undefined) return;
    if (value === null) delete next[key];
    else (next as Record<string, unknown>)[key] = value;
  };
  optional('userGroup');
  optional('channel');
  optional('quorum');
  optional('balance');
  if (patch.votingDays !== undefined) next.votingDays = patch.votingDays;
  if (patch.threshold !== undefined) next.threshold = patch.threshold;
  if (patch.secret !== undefined) next.secret = patch.secret;
  if (patch.wipLimit !== undefined) next.wipLimit = patch.wipLimit;
  if (patch.cycle !== undefined) next.cycle = patch.cycle;
  return next;
}

function dedupe(members: CouncilMember[]): CouncilMember[] {
  const seen = new Map<string, CouncilMember>();
  for (const m of members) seen.set(m.userId, { ...seen.get(m.userId), ...m });
  return [...seen.values()];
}

/** Readable changes for the history: `quorum: half → 3`, `members: +2 −1`. */
export function describeChanges(before: CouncilSettings, after: CouncilSettings): string[] {
  const changes: string[] = [];
  const ids = (list: CouncilMember[]) => new Set(list.map((m) => m.userId));
  const was = ids(before.members);
  const now = ids(after.members);
  const added = [...now].filter((id) => !was.has(id));
  const removed = [...was].filter((id) => !now.has(id));
  if (added.length || removed.length)
    changes.push(
      `members: ${[...(added.length ? [`+${added.join(', +')}`] : []), ...(removed.length ? [`−${removed.join(', −')}`] : [])].join(' ')}`,
    );
  for (const m of after.members) {
    const old = before.members.find((b) => b.userId === m.userId);
    if (old && old.function !== m.function)
      changes.push(`function of ${m.userId}: ${old.function ?? 'none'} → ${m.function ?? 'none'}`);
  }
  const show = (v: string | number | boolean | { id: string } | undefined) =>
    v === undefined ? 'none' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const keys = [
    'userGroup',
    'channel',
    'votingDays',
    'quorum',
    'threshold',
    'balance',
    'secret',
    'wipLimit',
    'cycle',
  ] as const;
  for (const key of keys) {
    const a = show(before[key]);
    const b = show(after[key]);
    if (a !== b)
      changes.push(
        `${key}: ${key === 'quorum' && a === 'none' ? 'half' : a} → ${key === 'quorum' && b === 'none' ? 'half' : b}`,
      );
  }
  return changes;
}
