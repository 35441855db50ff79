import { dispatchAction } from '../conversation/actions.js';
import type { ConversationContext, ConversationDeps, Output } from '../conversation/context.js';
import { submitForm } from '../conversation/forms.js';
import { grammarHelpView } from '../conversation/help.js';
import { runText } from '../conversation/run-command.js';
import type { Pebble, PebbleSource } from '../core/pebbles/pebble.model.js';
import { splitReportText } from '../core/pebbles/pebble.service.js';
import type { ChatGateway } from '../core/shared/chat-gateway.port.js';
import { isPebbleError } from '../core/shared/errors.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { ACTIONS } from '../views/actions.js';
import { councilNotices } from '../views/council.view.js';
import {
  FORMS,
  reportForm,
  type FormId,
  type FormValues,
  type FormView,
} from '../views/form.view.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { noticeView } from '../views/pebble.view.js';
import { channel as channelToken, plainText } from '../views/tokens.js';
import { REPORT_AS_PEBBLE_COMMAND } from './commands.js';
import type { TeamsRoleSource } from './teams-roles.js';
import { FORM_SUBMIT_VERB, readFormSubmission, type FormSubmission } from './render-form.js';
import type {
  TeamsActivityHandler,
  TeamsConversation,
  TeamsInput,
  TeamsOutput,
} from './teams-io.js';

export interface TeamsConversationDeps {
  services: Services;
  /** The Teams gateway: triage cards, notices to people, vote messages. */
  chat: ChatGateway;
  logger: Logger;
  /**
   * TEAMS_ADMIN_IDS: Entra object ids of people who administer Pebblebot in their tenant,
   * beside the admins listed in the workspace settings.
   */
  adminObjectIds?: readonly string[];
  /** Teams admins and team owners (Microsoft Graph); without it, only the lists above count. */
  roles?: TeamsRoleSource;
}

const TEAMS_HELP = {
  section: 'Teams',
  lines: [
    '• Write to me in our personal chat, or mention me in a channel: `@Pebblebot report …`',
    '• On any message, *…* → *Report as pebble* opens the report form with its text',
    '• In a channel: `config triage here` or `config council channel here` makes it that channel',
  ],
};

const SOMETHING_WRONG =
  'Pebblebot could not do that just now; nothing was half-saved. Try again in a minute.';

/** Views answered together, one after the other, as one card. */
function merged(views: MessageView[]): MessageView | undefined {
  if (views.length <= 1) return views[0];
  return {
    text: views.map((v) => v.text).join('\n'),
    blocks: views.flatMap((v, i) => (i ? [{ type: 'divider' as const }, ...v.blocks] : v.blocks)),
  };
}

/** A short line closing a dialog: what the first answer says. */
function summary(outputs: Output[]): string {
  for (const o of outputs) if (o.kind !== 'form') return plainText(o.view.text);
  return 'Done.';
}

/** The form that opens `formId` again (to show refusals next to their fields). */
function openerOf(formId: FormId, n: number): string {
  if (formId === FORMS.duplicate) return ACTIONS.markDuplicate;
  if (formId === FORMS.report && n > 0) return ACTIONS.addDetails;
  return formId;
}

/**
 * "here" in a channel names that channel: Teams has no #channel syntax in a bot's messages, and
 * a channel mention is not always offered, so the channel a command is typed in can stand in.
 */
function withHere(text: string, conversation: TeamsConversation): string {
  if (conversation.kind !== 'channel') return text;
  return text.replace(
    /^(\s*config\s+(?:triage|council\s+channel|digest\s+channel)\s+)here\s*$/i,
    (_m, head: string) => `${head}${channelToken(conversation.conversationId, 'this channel')}`,
  );
}

/**
 * The Teams front door of the conversation layer: a typed line, a card action, a dialog asked
 * for or submitted, each turned into the layer's call with the person's context, and what comes
 * back shaped for Teams (replies, the caller's refreshed card, a dialog, a short notice).
 * Permission checks stay in core; this only says who asks and where.
 */
export function createTeamsConversation(deps: TeamsConversationDeps): TeamsActivityHandler {
  const { services } = deps;
  const log = deps.logger.child({ component: 'teams-conversation' });
  const admins = new Set((deps.adminObjectIds ?? []).map((id) => id.toLowerCase()));
  const conversation: ConversationDeps = {
    services,
    chat: deps.chat,
    log: {
      info: (fields, message) => log.info(fields, message),
      warn: (fields, message) => log.warn(fields, message),
    },
  };

  async function contextOf(input: TeamsInput): Promise<ConversationContext> {
    // A Teams tenant is a workspace, created on its first activity.
    const workspace = await services.workspaces.ensure('teams', input.conversation.tenantId);
    const aad = input.from.aadObjectId?.toLowerCase();
    const roles = deps.roles;
    // TEAMS_ADMIN_IDS are admins outright; Teams' own roles are asked only when a rule needs
    // them (a Graph call), and never for someone Teams gave no Entra id.
    const platform =
      aad !== undefined && admins.has(aad)
        ? { platformAdmin: true }
        : aad !== undefined && roles
          ? {
              resolvePlatformAdmin: () =>
                roles.isAdmin({
                  tenantId: input.conversation.tenantId,
                  aadObjectId: aad,
                  ...(input.conversation.teamGroupId
                    ? { teamGroupId: input.conversation.teamGroupId }
                    : {}),
                }),
            }
          : { platformAdmin: false };
    return {
      workspace,
      actor: {
        // The Bot Framework id (29:…) is what mentions carry and personal chats are keyed by.
        userId: input.from.userId,
        ...(input.from.name ? { name: input.from.name } : {}),
        ...platform,
      },
      channel: 'teams',
    };
  }

  /** The council vote as it stands, with its refresh for the members (never anyone's choice). */
  async function voteCard(
    ctx: ConversationContext,
    number: number,
  ): Promise<Pick<TeamsOutput, 'card' | 'refresh'>> {
    const vote = await services.council.getVote(ctx.workspace, number);
    const pebbles = (
      await Promise.all(
        vote.pebbleNumbers.map((n) =>
          services.pebbles.get(ctx.workspace, n).catch(() => undefined),
        ),
      )
    ).filter((p): p is Pebble => p !== undefined);
    const progress =
      vote.status === 'open' ? await services.council.progress(vote) : { voted: 0, recused: 0 };
    const card = councilNotices.voteMessage(vote, pebbles, progress, ctx.workspace.settings);
    return vote.status === 'open'
      ? {
          card,
          refresh: {
            actionId: ACTIONS.councilBallot,
            value: String(vote.number),
            userIds: vote.electorate.map((m) => m.userId),
          },
        }
      : { card };
  }

  /** The form again, with what was typed and the refusals next to their fields. */
  async function reopen(
    ctx: ConversationContext,
    submission: FormSubmission,
    errors: Record<string, string>,
  ): Promise<FormView> {
    let form: FormView | undefined;
    if (submission.formId === FORMS.report && submission.n === 0)
      form = reportForm(ctx.workspace.settings);
    else {
      const outputs = await dispatchAction(
        conversation,
        ctx,
        openerOf(submission.formId, submission.n),
        String(submission.n),
      );
      const found = outputs.find((o) => o.kind === 'form');
      form = found?.kind === 'form' ? found.form : undefined;
    }
    form ??= reportForm(ctx.workspace.settings);
    return {
      ...form,
      fields: form.fields.map((f) => {
        const value = submission.values[f.id];
        return value === undefined ? f : { ...f, initial: value };
      }),
      errors,
    };
  }

  async function submit(
    ctx: ConversationContext,
    submission: FormSubmission,
    source?: PebbleSource,
  ): Promise<{ ok: true; outputs: Output[] } | { ok: false; form: FormView }> {
    const result = await submitForm(
      conversation,
      ctx,
      submission.formId,
      { n: submission.n },
      submission.values,
      source ? { source } : {},
    );
    if (result.ok) return result;
    return { ok: false, form: await reopen(ctx, submission, result.errors) };
  }

  /** What an action gives back: the caller's card (updated, a form, or the answer), or a notice. */
  async function actionOutput(
    ctx: ConversationContext,
    input: Extract<TeamsInput, { kind: 'action' }>,
    outputs: Output[],
  ): Promise<TeamsOutput> {
    const form = outputs.find((o) => o.kind === 'form');
    if (form?.kind === 'form') return { form: form.form };
    const updates = outputs.flatMap((o) => (o.kind === 'update' ? [o.view] : []));
    const replies = outputs.flatMap((o) => (o.kind === 'reply' ? [o.view] : []));
    if (input.actionId === ACTIONS.councilBallot) {
      // The voter's own ballot on top of the vote: this card goes to the caller only.
      const number = Number((input.value ?? '').split(':')[0]);
      const vote = await voteCard(ctx, number);
      const card = merged([...replies, ...(vote.card ? [vote.card] : [])]);
      return { ...(card ? { card } : {}), ...(vote.refresh ? { refresh: vote.refresh } : {}) };
    }
    // NOTE: Teams has no private message in a channel; the invoke's answer is seen by the caller
    // only, so private answers replace the card for them (a refresh brings the shared one back).
    const card = merged([...replies, ...updates]);
    return card ? { card } : { notice: 'Done.' };
  }

  async function handle(input: TeamsInput, ctx: ConversationContext): Promise<TeamsOutput> {
    switch (input.kind) {
      case 'message': {
        const text = withHere(input.text, input.conversation);
        if (!text.trim()) return { replies: [grammarHelpView({ extra: [TEAMS_HELP] })] };
        const outputs = await runText(conversation, ctx, text, {
          chart: 'fallback',
          help: [TEAMS_HELP],
        });
        const form = outputs.find((o) => o.kind === 'form');
        return {
          replies: outputs.flatMap((o) => (o.kind === 'form' ? [] : [o.view])),
          ...(form?.kind === 'form' ? { form: form.form } : {}),
        };
      }
      case 'action': {
        if (input.trigger === 'automatic') {
          // A refresh only reads: answering it with a broadcast update would loop.
          const number = Number(input.value);
          if (input.actionId === ACTIONS.councilBallot && Number.isInteger(number) && number > 0)
            return voteCard(ctx, number);
          return { notice: 'Nothing to refresh.' };
        }
        if (input.actionId === FORM_SUBMIT_VERB) {
          const submission = readFormSubmission(input.inputs);
          if (!submission) return { notice: 'This form is not one of mine.' };
          const result = await submit(ctx, submission);
          if (!result.ok) return { form: result.form };
          return actionOutput(ctx, input, result.outputs);
        }
        const outputs = await dispatchAction(conversation, ctx, input.actionId, input.value ?? '');
        return actionOutput(ctx, input, outputs);
      }
      case 'open-form': {
        if (input.source === 'messageExtension') {
          if (input.commandId && input.commandId !== REPORT_AS_PEBBLE_COMMAND)
            return { notice: `Pebblebot has no action "${input.commandId}".` };
          const { title, description } = splitReportText(input.message?.text ?? '');
          const form = reportForm(ctx.workspace.settings, { ...(title ? { text: title } : {}) });
          return {
            dialog: {
              title: form.title,
              form: {
                ...form,
                ...(input.message?.link ? { intro: `From the message ${input.message.link}` } : {}),
                fields: form.fields.map((f) =>
                  f.id === 'description' && description ? { ...f, initial: description } : f,
                ),
              },
            },
          };
        }
        const action = input.data?.action;
        const value = input.data?.value;
        const outputs =
          typeof action === 'string'
            ? await dispatchAction(
                conversation,
                ctx,
                action,
                typeof value === 'string' ? value : '',
              )
            : [{ kind: 'form' as const, form: reportForm(ctx.workspace.settings) }];
        const form = outputs.find((o) => o.kind === 'form');
        if (form?.kind === 'form') return { dialog: { title: form.form.title, form: form.form } };
        const view = merged(outputs.flatMap((o) => (o.kind === 'form' ? [] : [o.view])));
        return view ? { dialog: { title: 'Pebblebot', view } } : { notice: 'Done.' };
      }
      case 'submit': {
        const extension = input.source === 'messageExtension';
        // Our dialogs carry their form id; "Report as pebble" may come back without it.
        const submission =
          readFormSubmission(input.values) ??
          (extension && (!input.commandId || input.commandId === REPORT_AS_PEBBLE_COMMAND)
            ? { formId: FORMS.report, n: 0, values: stringValues(input.values) }
            : undefined);
        if (!submission) return { notice: 'This form is not one of mine.' };
        const link = input.message?.link;
        const source: PebbleSource | undefined = extension
          ? { kind: 'teams-action', ...(link && URL.canParse(link) ? { permalink: link } : {}) }
          : undefined;
        const result = await submit(ctx, submission, source);
        if (!result.ok) return { dialog: { title: result.form.title, form: result.form } };
        return { notice: summary(result.outputs) };
      }
    }
  }

  return async (input) => {
    let ctx: ConversationContext | undefined;
    try {
      ctx = await contextOf(input);
      return await handle(input, ctx);
    } catch (error) {
      const known = isPebbleError(error) && !error.code.startsWith('STORE.');
      if (!known)
        log.error(
          { err: error, kind: input.kind, workspaceId: input.conversation.workspaceId },
          'Teams request failed',
        );
      const text = known ? error.message : SOMETHING_WRONG;
      switch (input.kind) {
        case 'message':
          return { replies: [noticeView(text)] };
        case 'open-form':
          return { dialog: { title: 'Pebblebot', view: noticeView(text) } };
        default:
          return { notice: plainText(text) };
      }
    }
  };
}

function stringValues(values: Record<string, unknown>): FormValues {
  const out: FormValues = {};
  for (const [key, value] of Object.entries(values))
    if (typeof value === 'string' || typeof value === 'boolean') out[key] = value;
  return out;
}
