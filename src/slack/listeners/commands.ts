import { setImmediate as yieldToAcks } from 'node:timers/promises';
import { parseCommand, type Command } from '../../conversation/commands.js';
import { runCommand } from '../../conversation/run-command.js';
import { slackMarkupToTokens } from '../../conversation/slack-markup.js';
import type { Pebble } from '../../core/pebbles/pebble.model.js';
import { savedDespiteOutageView } from '../../views/report.view.js';
import { pebbleContext } from '../context.js';
import { conversationContext, sendOutputs } from '../conversation.js';
import type { Answer } from '../follow-up.js';
import { reportForm } from '../../views/form.view.js';
import { renderForm } from '../render-form.js';
import type { CommandArgs, Registrar, SlackDeps } from './registry.js';

export const SLASH_COMMAND = '/pebble';

/** Slack's help lines besides the grammar's own: the ways in only Slack has. */
const slackHelp = (reactionEmoji: string) => ({
  section: 'Only in Slack',
  lines: [
    `• \`${SLASH_COMMAND}\` alone, the *Report a pebble* shortcut or the Home tab open the report form`,
    "• *Report as pebble* in a message's ⋮ menu reports that message",
    `• React with :${reactionEmoji}: to a message to report it (or +1 it when it is already a pebble)`,
    '• Mention @Pebblebot with your text in a channel',
  ],
});

/**
 * `/pebble …`: the text goes to the conversation layer's grammar (Slack markup read as
 * neutral tokens), its answer comes back privately. A report or +1 is stored before the ack.
 */
export function registerCommands(r: Registrar, deps: SlackDeps): void {
  r.command(SLASH_COMMAND, async ({ command, ack, context }: CommandArgs) => {
    const ctx = pebbleContext(context);
    let parsed: Command;
    try {
      parsed = parseCommand(slackMarkupToTokens(command.text), { prefix: SLASH_COMMAND });
    } catch (error) {
      await ack();
      throw error;
    }
    const answer: Answer = { responseUrl: command.response_url };
    if (parsed.kind === 'form') {
      await ack();
      // NOTE: the trigger_id lives 3 s: the form opens before anything else happens.
      await deps.gateway.openView(
        command.trigger_id,
        renderForm(reportForm(ctx.workspace.settings), { k: 'slash', c: command.channel_id }),
      );
      return;
    }
    const writes = parsed.kind === 'report' || parsed.kind === 'support';
    let acked = false;
    let stored: Pebble | undefined;
    const acknowledge = async () => {
      if (acked) return;
      acked = true;
      // A write stuck on an unresponsive store outlives Bolt's deadline, which then answers
      // for us: the late ack fails, and must not hide what the person is told about the write.
      await ack().catch((error: unknown) =>
        deps.logger.warn({ err: error }, 'acknowledgement too late; Bolt answered first'),
      );
    };
    if (!writes) await acknowledge();
    // A report or +1 is stored before the ack (see ack-after.ts); the rest runs after it.
    let outputs;
    try {
      if (!(await ctx.firstDelivery())) return;
      outputs = await runCommand(
        deps.conversation,
        conversationContext(deps, ctx, command.channel_id),
        parsed,
        {
          help: [slackHelp(ctx.workspace.settings.reactionEmoji)],
          stored: async (pebble) => {
            stored = pebble;
            await acknowledge();
            // NOTE: Slack waits 3 s for every acknowledgement: requests that arrived meanwhile
            // are acknowledged before the CPU-heavy steps (the similar-pebble search) run.
            await yieldToAcks();
          },
        },
      );
    } catch (error) {
      if (!stored || parsed.kind !== 'report') throw error;
      // The pebble is stored: never invite the reporter to try again.
      deps.logger.warn({ err: error }, 'could not confirm a report; telling the reporter');
      outputs = [
        {
          kind: 'reply' as const,
          visibility: 'private' as const,
          view: savedDespiteOutageView(stored, Boolean(ctx.workspace.settings.triageChannel)),
        },
      ];
    } finally {
      await acknowledge();
    }
    try {
      await sendOutputs(deps, outputs, answer);
    } catch (error) {
      if (!stored || parsed.kind !== 'report') throw error;
      deps.logger.warn({ err: error }, 'could not confirm a report; telling the reporter');
      await deps.followUp
        .say(answer, savedDespiteOutageView(stored, Boolean(ctx.workspace.settings.triageChannel)))
        .catch((sendError: unknown) =>
          deps.logger.warn({ err: sendError }, 'reporter not told; the pebble is stored'),
        );
    }
  });
}
