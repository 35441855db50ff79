import { z } from 'zod';
import { helpView } from '../../views/help.view.js';
import { recordedInThreadView } from '../../views/report.view.js';
import { pebbleContext } from '../context.js';
import { slackToPlain, withoutLeadingMention } from '../slack-text.js';
import { SLASH_COMMAND } from './commands.js';
import { claimSourceReport } from './reactions.js';
import type { EventArgs, Registrar, SlackDeps } from './registry.js';

const Mention = z.looseObject({
  user: z.string().min(1),
  text: z.string().default(''),
  channel: z.string().min(1),
  ts: z.string().min(1),
  thread_ts: z.string().optional(),
});

/** `@Pebblebot <text>` reports the text and answers in the thread. */
export function registerMentions(r: Registrar, deps: SlackDeps): void {
  r.event('app_mention', async ({ event, context }: EventArgs<'app_mention'>) => {
    const ctx = pebbleContext(context);
    const mention = Mention.parse(event);
    const text = slackToPlain(withoutLeadingMention(mention.text, await deps.botUserId()));
    const settings = ctx.workspace.settings;
    if (!text) {
      await ctx.acknowledge();
      await deps.gateway.ephemeral(
        mention.channel,
        mention.user,
        helpView({
          command: SLASH_COMMAND,
          reactionEmoji: settings.reactionEmoji,
          botName: 'Pebblebot',
        }),
        mention.thread_ts,
      );
      return;
    }
    const { pebbles } = deps.services;
    // A redelivery (Slack retries an event whose ack a crash prevented) finds the pebble its
    // first delivery stored: the message a pebble comes from identifies it.
    let known = await pebbles.findBySourceMessage(ctx.workspace, mention.channel, mention.ts);
    if (!known) {
      const claim = await claimSourceReport(
        deps,
        ctx,
        mention.channel,
        mention.ts,
        context.retryNum,
      );
      // Another delivery of this mention holds the report and stored nothing yet: its own.
      if (!claim.report && !claim.pebble) return;
      if (!claim.report) known = claim.pebble;
    }
    const result = known
      ? { pebble: known, truncated: false }
      : await pebbles.report(
          ctx.workspace,
          ctx.user,
          { text },
          {
            kind: 'mention',
            channelId: mention.channel,
            messageTs: mention.ts,
            authorId: mention.user,
          },
        );
    await deps.followUp.replyInThread(
      ctx.workspace,
      result.pebble,
      mention.channel,
      mention.thread_ts ?? mention.ts,
      recordedInThreadView(result.pebble, settings.reactionEmoji),
    );
    await deps.followUp.postTriageCard(ctx.workspace, result.pebble);
    await ctx.acknowledge();
    if (!(await ctx.firstDelivery())) return;
    await deps.followUp.afterReport(ctx.workspace, result, {
      user: mention.user,
      channel: mention.channel,
    });
  });
}
