import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { shortId, type Pebble } from '../../core/pebbles/pebble.model.js';
import { noticeView } from '../../views/pebble.view.js';
import { recordedInThreadView, supportNoticeText } from '../../views/report.view.js';
import { pebbleContext, type PebbleContext } from '../context.js';
import { slackToPlain } from '../slack-text.js';
import type { EventArgs, Registrar, SlackDeps } from './registry.js';

const Reaction = z.looseObject({
  user: z.string().min(1),
  reaction: z.string().min(1),
  item: z.looseObject({
    type: z.string(),
    channel: z.string().optional(),
    ts: z.string().optional(),
  }),
  item_user: z.string().optional(),
});

/** How long the people who react at the same moment wait for the first one's pebble. */
const RACE_WAIT_MS = 3_000;
const RACE_POLL_MS = 100;
/** How long "this message is being reported" is held (the first reaction's report). */
const SOURCE_CLAIM_MS = 10 * 60_000;

/** `rock::skin-tone-2` is still the rock. */
const baseEmoji = (name: string) => name.split('::')[0] ?? name;

/**
 * Claims the reporting of a message (one pebble per message, however many deliveries or
 * people arrive at once). True: this delivery reports it. False: it was reported meanwhile, by
 * the claim's holder; `pebble` is it. A redelivery (Slack retries an event whose ack a crash
 * prevented) whose claim holder stored nothing within the wait takes the report over.
 */
export async function claimSourceReport(
  deps: SlackDeps,
  ctx: PebbleContext,
  channel: string,
  ts: string,
  retryNum: number | undefined,
): Promise<{ report: true } | { report: false; pebble: Pebble | null }> {
  const first = await deps.services.store.events.claim(
    `slack:${ctx.teamId}:source:${channel}:${ts}`,
    new Date(deps.services.clock.now().getTime() + SOURCE_CLAIM_MS),
  );
  if (first) return { report: true };
  const pebble = await waitForPebble(deps, ctx, channel, ts);
  if (!pebble && (retryNum ?? 0) > 0) return { report: true };
  return { report: false, pebble };
}

async function waitForPebble(
  deps: SlackDeps,
  ctx: PebbleContext,
  channel: string,
  ts: string,
): Promise<Pebble | null> {
  const until = Date.now() + RACE_WAIT_MS;
  while (Date.now() < until) {
    await sleep(RACE_POLL_MS);
    const found = await deps.services.pebbles.findBySourceMessage(ctx.workspace, channel, ts);
    if (found) return found;
  }
  return null;
}

/**
 * The workspace's reaction (default :rock:) on a message reports it; the same reaction from
 * others adds their +1. The thread gets one public reply, when the pebble is created; people
 * reacting at the same moment are serialised by a claim on the message, so it is one pebble.
 */
export function registerReactions(r: Registrar, deps: SlackDeps): void {
  const { pebbles } = deps.services;

  r.event('reaction_added', async ({ event, context }: EventArgs<'reaction_added'>) => {
    const ctx = pebbleContext(context);
    const reaction = Reaction.parse(event);
    const settings = ctx.workspace.settings;
    const { channel, ts } = reaction.item;
    if (baseEmoji(reaction.reaction) !== settings.reactionEmoji) return;
    if (reaction.item.type !== 'message' || !channel || !ts) return;
    if (reaction.item_user && reaction.item_user === (await deps.botUserId())) return;

    let pebble = await pebbles.findBySourceMessage(ctx.workspace, channel, ts);
    if (!pebble) {
      const claim = await claimSourceReport(deps, ctx, channel, ts, context.retryNum);
      if (claim.report) {
        const message = await deps.gateway.message(channel, ts);
        const permalink = await deps.gateway.permalink(channel, ts);
        const text = message?.text ? slackToPlain(message.text) : '';
        const result = await pebbles.report(
          ctx.workspace,
          ctx.user,
          {
            text: text.trim()
              ? text
              : 'A message reported with a reaction (its text could not be read)',
          },
          {
            kind: 'reaction',
            channelId: channel,
            messageTs: ts,
            ...((reaction.item_user ?? message?.user)
              ? { authorId: reaction.item_user ?? message?.user }
              : {}),
            ...(permalink ? { permalink } : {}),
          },
        );
        await deps.followUp.replyInThread(
          ctx.workspace,
          result.pebble,
          channel,
          ts,
          recordedInThreadView(result.pebble, settings.reactionEmoji),
        );
        await deps.followUp.postTriageCard(ctx.workspace, result.pebble);
        await ctx.acknowledge();
        if (!(await ctx.firstDelivery())) return;
        await deps.followUp.afterReport(ctx.workspace, result, { user: reaction.user, channel });
        return;
      }
      pebble = claim.pebble;
      if (!pebble) {
        deps.logger.warn(
          { reaction: 'source' },
          'a reaction found its message being reported, but no pebble appeared',
        );
        return;
      }
    }
    const result = await pebbles.support(ctx.workspace, ctx.user, pebble.number);
    await ctx.acknowledge();
    if (!(await ctx.firstDelivery())) return;
    const ownPebble = result.pebble.reporter.userId === ctx.user.userId;
    if (!result.added && ownPebble) return;
    deps.logger.info(
      { pebble: shortId(result.pebble.number), added: result.added },
      'reaction support',
    );
    await deps.gateway.ephemeral(
      channel,
      reaction.user,
      noticeView(supportNoticeText({ ...result, ownPebble })),
    );
    if (result.added) await deps.followUp.refreshCard(ctx.workspace, result.pebble);
  });
}
