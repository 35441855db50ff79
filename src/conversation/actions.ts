import { z } from 'zod';
import {
  BallotChoiceSchema,
  VoteOptionSchema,
  voteShortId,
} from '../core/council/council.model.js';
import { improvementShortId } from '../core/improvements/improvement.model.js';
import {
  SNOOZE_PERIODS,
  type ImprovementForm,
  type SnoozePeriod,
} from '../core/improvements/improvement.service.js';
import { parsePebbleRef, shortId, StakeholderSchema } from '../core/pebbles/pebble.model.js';
import { PebbleError } from '../core/shared/errors.js';
import { ACTIONS, OVERFLOW_ACTION, parseOverflowValue } from '../views/actions.js';
import {
  councilReasonForm,
  councilSettingsForm,
  declineForm,
  duplicateForm,
  improvementForms,
  reportForm,
} from '../views/form.view.js';
import type { ButtonView } from '../core/ports/message-view.port.js';
import { confirmationView, noticeView, peopleAffected } from '../views/pebble.view.js';
import { quote, type Command, type ImprovementStatusWord } from './commands.js';
import {
  reply,
  update,
  withRole,
  type ConversationContext,
  type ConversationDeps,
  type Output,
} from './context.js';
import { apiTokenForm, settingsForm, SETTINGS_SECTIONS } from '../views/settings.view.js';
import {
  listPageView,
  ListPageSchema,
  propose,
  runCommand,
  type RunOptions,
} from './run-command.js';

const usage = (message: string) => new PebbleError('COMMAND.USAGE', message);
const Num = z.coerce.number().int().positive().max(1_000_000_000);

function num(value: string | undefined, what: string): number {
  const parsed = Num.safeParse(value ?? '');
  if (!parsed.success) throw usage(`That button does not name ${what}.`);
  return parsed.data;
}

/** `3:fix-now` → [3, 'fix-now']: a number and a choice carried in a button value. */
function numberAndChoice(value: string, what: string): [number, string] {
  const at = value.indexOf(':');
  if (at === -1 || value.length > 64) throw usage(`That button does not name ${what}.`);
  return [num(value.slice(0, at), what), value.slice(at + 1)];
}

/**
 * What a button means as a typed command, when one does the same; undefined for buttons that
 * open a form or page a list. The console shows these, and the dispatcher runs them.
 */
export function actionCommand(actionId: string, value = ''): Command | undefined {
  switch (actionId) {
    case ACTIONS.show:
      return { kind: 'show', number: num(value, 'a pebble') };
    case ACTIONS.support:
      return { kind: 'support', number: num(value, 'a pebble') };
    case ACTIONS.toggleAnonymous:
      return { kind: 'anon-toggle', number: num(value, 'a pebble') };
    case ACTIONS.mergeInto: {
      const [from, into] = numberAndChoice(value, 'two pebbles');
      return { kind: 'merge', from, into: num(into, 'two pebbles') };
    }
    case ACTIONS.setSeverity: {
      const [number, choice] = numberAndChoice(value, 'a pebble');
      return { kind: 'triage', number, change: { kind: 'severity', severity: Number(choice) } };
    }
    case ACTIONS.setStakeholder: {
      const [number, raw] = numberAndChoice(value, 'a pebble');
      const who = StakeholderSchema.safeParse(raw);
      if (!who.success) throw usage('That menu option is not customer, employee or partner.');
      return { kind: 'triage', number, change: { kind: 'stakeholder', stakeholder: who.data } };
    }
    case ACTIONS.setStage: {
      const [number, stage] = numberAndChoice(value, 'a pebble');
      return { kind: 'triage', number, change: { kind: 'stage', stage } };
    }
    case ACTIONS.acceptSuggestion:
      return { kind: 'triage', number: num(value, 'a pebble'), change: { kind: 'accept' } };
    case ACTIONS.confirmRecurrence: {
      const [number, of] = numberAndChoice(value, 'two pebbles');
      return {
        kind: 'triage',
        number,
        change: { kind: 'duplicate', of: num(of, 'two pebbles') },
      };
    }
    case ACTIONS.councilBallot: {
      const [vote, raw] = numberAndChoice(value, 'a council vote');
      const choice = BallotChoiceSchema.safeParse(raw);
      if (!choice.success) throw usage('That button is not a ballot option.');
      return { kind: 'vote', vote, choice: choice.data };
    }
    case ACTIONS.councilDecide: {
      const [vote, raw] = numberAndChoice(value, 'a council vote');
      const option = VoteOptionSchema.safeParse(raw);
      if (!option.success) throw usage('That button is not a decision.');
      return { kind: 'council', command: { kind: 'decide', vote, option: option.data } };
    }
    case ACTIONS.councilWipDisplace: {
      const [vote, raw] = numberAndChoice(value, 'a council vote');
      return {
        kind: 'council',
        command: { kind: 'wip', vote, displace: num(raw, 'an improvement') },
      };
    }
    case ACTIONS.councilWipQueue:
      return {
        kind: 'council',
        command: { kind: 'wip', vote: num(value.replace(/^v-?/i, ''), 'a council vote') },
      };
    case ACTIONS.councilPropose: {
      const numbers = value.split(',').map((v) => parsePebbleRef(v));
      if (!numbers.length || numbers.some((n) => n === undefined))
        throw usage('That button does not name a pebble.');
      return { kind: 'council', command: { kind: 'propose', pebbles: numbers as number[] } };
    }
    case ACTIONS.improvementAccept:
      return {
        kind: 'improvement',
        command: { kind: 'accept', number: num(value.split(':')[0], 'an improvement') },
      };
    case ACTIONS.improvementStatus: {
      const [number, status] = numberAndChoice(value, 'an improvement');
      if (!['on-track', 'at-risk', 'blocked'].includes(status))
        throw usage('That button is not a status.');
      return {
        kind: 'improvement',
        command: { kind: 'update', number, status: status as ImprovementStatusWord },
      };
    }
    case ACTIONS.improvementSnooze: {
      const [number, period] = numberAndChoice(value, 'an improvement');
      if (!(period in SNOOZE_PERIODS)) throw usage('Snooze for 1d, 3d or 1w.');
      return {
        kind: 'improvement',
        command: { kind: 'snooze', number, period: period as SnoozePeriod },
      };
    }
    case ACTIONS.improvementFixedYes:
    case ACTIONS.improvementFixedNo:
      return {
        kind: 'improvement',
        command: {
          kind: 'fixed',
          number: num(value.split(':')[0], 'an improvement'),
          answer: actionId === ACTIONS.improvementFixedYes ? 'yes' : 'no',
        },
      };
    case ACTIONS.digestPreview:
      return { kind: 'digest' };
    case ACTIONS.auditLog:
      return { kind: 'governance', command: { kind: 'audit', page: num(value || '1', 'a page') } };
    case ACTIONS.apiTokens:
      return { kind: 'governance', command: { kind: 'token-list' } };
    case ACTIONS.apiTokenRevoke: {
      if (!/^[\w-]{1,64}$/.test(value)) throw usage('That button does not name an API token.');
      return { kind: 'governance', command: { kind: 'token-revoke', id: value } };
    }
  }
  return undefined;
}

/** A typed command as people write it (the console shows buttons this way). */
export function commandText(command: Command): string | undefined {
  const p = shortId;
  const i = improvementShortId;
  const v = voteShortId;
  switch (command.kind) {
    case 'show':
      return `show ${p(command.number)}`;
    case 'support':
      return `+1 ${p(command.number)}`;
    case 'anon-toggle':
      return `anon ${p(command.number)}`;
    case 'merge':
      return `merge ${p(command.from)} ${p(command.into)}`;
    case 'vote':
      return `vote ${v(command.vote)} ${command.choice}`;
    case 'digest':
      return 'digest';
    case 'governance': {
      const c = command.command;
      if (c.kind === 'audit') return c.page > 1 ? `config audit page ${c.page}` : 'config audit';
      if (c.kind === 'token-list') return 'api token list';
      if (c.kind === 'token-revoke') return `api token revoke ${c.id}`;
      return undefined;
    }
    case 'triage': {
      const c = command.change;
      if (c.kind === 'severity') return `triage ${p(command.number)} severity ${c.severity}`;
      if (c.kind === 'stage') return `triage ${p(command.number)} stage ${c.stage}`;
      if (c.kind === 'stakeholder') return `triage ${p(command.number)} who ${c.stakeholder}`;
      if (c.kind === 'accept') return `triage ${p(command.number)} accept`;
      if (c.kind === 'duplicate') return `triage ${p(command.number)} duplicate ${p(c.of)}`;
      return undefined;
    }
    case 'council': {
      const c = command.command;
      if (c.kind === 'decide') return `council decide ${v(c.vote)} ${c.option}`;
      if (c.kind === 'propose') return `council propose ${c.pebbles.map(p).join(' ')}`;
      if (c.kind === 'wip')
        return `council wip ${v(c.vote)} ${c.displace ? i(c.displace) : 'queue'}`;
      return undefined;
    }
    case 'improvement': {
      const c = command.command;
      if (c.kind === 'accept') return `improvement accept ${i(c.number)}`;
      if (c.kind === 'update') return `improvement update ${i(c.number)} ${c.status}`;
      if (c.kind === 'snooze') return `improvement snooze ${i(c.number)} ${c.period}`;
      if (c.kind === 'fixed') return `improvement fixed ${i(c.number)} ${c.answer}`;
      return undefined;
    }
  }
  return undefined;
}

/** Buttons that open a form, as the command that does the same in one line. */
const FORM_COMMANDS: Record<string, (n: string) => string> = {
  [ACTIONS.report]: () => 'report <what got in the way>',
  [ACTIONS.decline]: (n) => `triage P-${n} decline <why>`,
  [ACTIONS.markDuplicate]: (n) => `triage P-${n} duplicate P-<n>`,
  [ACTIONS.councilReason]: (n) => `council reason V-${n} <why>`,
  [ACTIONS.councilSettings]: () => 'config council',
  [ACTIONS.improvementProposeDate]: (n) => `improvement accept I-${n} YYYY-MM-DD`,
  [ACTIONS.improvementDecline]: (n) => `improvement decline I-${n} <why>`,
  [ACTIONS.improvementDone]: (n) => `improvement update I-${n} done "what changed"`,
  [ACTIONS.improvementChangeDate]: (n) => `improvement date I-${n} YYYY-MM-DD "why"`,
  [ACTIONS.improvementExtend]: (n) => `improvement date I-${n} YYYY-MM-DD "why"`,
  [ACTIONS.improvementReassign]: (n) => `improvement assign I-${n} @owner YYYY-MM-DD`,
  [ACTIONS.improvementDrop]: (n) => `improvement update I-${n} dropped "why"`,
  [ACTIONS.settingsEdit]: (section) =>
    ({
      triage: 'config triage #channel',
      stages: 'config stages',
      nudges: 'config nudges',
      digest: 'config digest',
      workspace: 'config timezone Europe/Berlin',
    })[section] ?? 'config',
  [ACTIONS.apiTokenCreate]: () => 'api token create <name>',
  // The only link the views carry leads to the Home tab: `home` shows it on any channel.
  [ACTIONS.openLink]: () => 'home',
  // NOTE: `config ai on|off` is the AI issue's command (same core setter as the toggle).
  [ACTIONS.settingsAi]: (v) => `config ai ${v === 'on' ? 'on' : 'off'}`,
};

/** What to type for a button, on a channel without buttons (the console); undefined if nothing. */
export function buttonCommand(button: ButtonView, prefix?: string): string | undefined {
  const strip = (t: string) => quote(prefix, t).slice(1, -1);
  try {
    if (button.actionId === ACTIONS.listPage) {
      const page = ListPageSchema.parse(JSON.parse(button.value ?? ''));
      const n = Math.floor(page.o / 10) + 1;
      return strip(page.s === 'mine' ? 'mine' : `list ${page.f ? `${page.f} ` : ''}page ${n}`);
    }
    if (button.actionId === OVERFLOW_ACTION) {
      const option = parseOverflowValue(button.value ?? '');
      return option && option.actionId !== OVERFLOW_ACTION
        ? buttonCommand({ ...button, ...option }, prefix)
        : undefined;
    }
    const form = FORM_COMMANDS[button.actionId];
    if (form) return strip(form((button.value ?? '').split(':')[0] ?? ''));
    const command = actionCommand(button.actionId, button.value);
    const text = command && commandText(command);
    return text ? strip(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Actions whose answer replaces the message that carried the button. */
const REPLACES = new Set<string>([
  ACTIONS.councilDecide,
  ACTIONS.councilWipDisplace,
  ACTIONS.councilWipQueue,
  ACTIONS.improvementAccept,
  ACTIONS.improvementFixedYes,
  ACTIONS.improvementFixedNo,
  // Paging the audit log turns the page in place.
  ACTIONS.auditLog,
]);

/**
 * One dispatcher for every button and menu: an action id from the catalogue, its value and who
 * clicked, to the service call and what to show. Slack block_actions, Teams Action.Execute and
 * the console's button commands all come through here. Buttons that need more input open a form.
 */
export async function dispatchAction(
  deps: ConversationDeps,
  ctx: ConversationContext,
  actionId: string,
  value = '',
  /** As for a typed command: `stored` is called once a +1 is stored (the channel may ack). */
  options: Pick<RunOptions, 'stored'> = {},
): Promise<Output[]> {
  const { pebbles, improvements, council } = deps.services;
  // Core says who may before a form opens, so nobody fills in a form they could not submit.
  const improvement = async (form: ImprovementForm) =>
    improvements.formFor(
      ctx.workspace,
      await withRole(ctx),
      num(value.split(':')[0], 'an improvement'),
      form,
    );
  const pebble = () => pebbles.get(ctx.workspace, num(value, 'a pebble'));
  const triager = async (what: string) => {
    await pebbles.requireTriager(ctx.workspace, await withRole(ctx), what);
    return pebble();
  };
  switch (actionId) {
    case ACTIONS.openLink:
      // A link button: the platform opens the link itself; there is nothing to do.
      return [];
    case ACTIONS.listPage: {
      const page = ListPageSchema.safeParse(
        (() => {
          try {
            return JSON.parse(value) as unknown;
          } catch {
            return undefined;
          }
        })(),
      );
      if (!page.success) throw usage('That button does not name a page.');
      return [update(await listPageView(deps, ctx, page.data))];
    }
    case ACTIONS.report:
      return [{ kind: 'form', form: reportForm(ctx.workspace.settings) }];
    case ACTIONS.addDetails: {
      const mine = await pebbles.requireReporter(ctx.workspace, ctx.actor, num(value, 'a pebble'));
      return [{ kind: 'form', form: reportForm(ctx.workspace.settings, { pebble: mine }) }];
    }
    case ACTIONS.decline:
      return [{ kind: 'form', form: declineForm(await triager('decline a pebble')) }];
    case ACTIONS.markDuplicate:
      return [{ kind: 'form', form: duplicateForm(await triager('mark a pebble as a duplicate')) }];
    case ACTIONS.councilSettings:
      await council.requireConfigurer(ctx.workspace, await withRole(ctx));
      return [{ kind: 'form', form: councilSettingsForm(ctx.workspace.settings) }];
    case ACTIONS.councilReason: {
      const vote = await council.requireReasonGiver(
        ctx.workspace,
        await withRole(ctx),
        num(value.replace(/^v-?/i, ''), 'a council vote'),
      );
      return [{ kind: 'form', form: councilReasonForm(vote.number, vote.decision?.reason) }];
    }
    case ACTIONS.councilPropose: {
      const command = actionCommand(actionId, value);
      if (command?.kind !== 'council' || command.command.kind !== 'propose')
        throw usage('That button does not name a pebble.');
      return propose(deps, ctx, command.command.pebbles);
    }
    case ACTIONS.toggleAnonymous:
    case ACTIONS.mergeInto: {
      // From the private confirmation of a report: the answer takes that confirmation's place.
      const command = actionCommand(actionId, value);
      if (command?.kind !== 'anon-toggle' && command?.kind !== 'merge')
        throw usage('That button does not name a pebble.');
      await runCommand(deps, ctx, command, options);
      if (command.kind === 'anon-toggle') {
        const mine = await pebbles.get(ctx.workspace, command.number);
        return [update(confirmationView(mine, await pebbles.findSimilar(ctx.workspace, mine)))];
      }
      const into = await pebbles.get(ctx.workspace, command.into);
      const [from, to] = [shortId(command.from), shortId(into.number)];
      return [
        update(
          noticeView(
            `:+1: ${from} was folded into *${to}* ${into.title} as your +1: ${to} now gets in the way of ${peopleAffected(into)}. ${from} stays as its duplicate, with your text.`,
          ),
        ),
      ];
    }
    case ACTIONS.setSeverity:
    case ACTIONS.setStage:
    case ACTIONS.setStakeholder: {
      const command = actionCommand(actionId, value);
      const outputs = command ? await runCommand(deps, ctx, command, options) : [];
      // The triage card that carries these menus is updated in place: no second message.
      const number = command?.kind === 'triage' ? command.number : 0;
      const onCard = deps.chat && (await pebbles.get(ctx.workspace, number)).triageCard;
      return onCard ? [] : outputs;
    }
    case OVERFLOW_ACTION: {
      const option = parseOverflowValue(value);
      if (!option || option.actionId === OVERFLOW_ACTION)
        throw usage('That menu option does not name an action.');
      return dispatchAction(deps, ctx, option.actionId, option.value, options);
    }
    case ACTIONS.improvementProposeDate: {
      // From the date picker the day comes with the click: accept for it at once.
      const picked = /^(\d+):(\d{4}-\d{2}-\d{2})$/.exec(value);
      if (picked)
        return runCommand(deps, ctx, {
          kind: 'improvement',
          command: { kind: 'accept', number: num(picked[1], 'an improvement'), date: picked[2]! },
        }).then((outputs) => outputs.map((o) => (o.kind === 'reply' ? update(o.view) : o)));
      return [
        { kind: 'form', form: improvementForms.proposeDate(await improvement('propose-date')) },
      ];
    }
    case ACTIONS.improvementDecline:
      return [{ kind: 'form', form: improvementForms.decline(await improvement('decline')) }];
    case ACTIONS.improvementDone:
      return [{ kind: 'form', form: improvementForms.done(await improvement('done')) }];
    case ACTIONS.improvementChangeDate:
      return [
        { kind: 'form', form: improvementForms.changeDate(await improvement('change-date')) },
      ];
    case ACTIONS.improvementExtend:
      return [{ kind: 'form', form: improvementForms.extend(await improvement('extend')) }];
    case ACTIONS.improvementReassign:
      return [{ kind: 'form', form: improvementForms.reassign(await improvement('reassign')) }];
    case ACTIONS.improvementDrop:
      return [{ kind: 'form', form: improvementForms.drop(await improvement('drop')) }];
    case ACTIONS.settingsEdit: {
      const section = SETTINGS_SECTIONS.find((s) => s === value);
      if (!section) throw usage('That button does not name a setting.');
      // Core's admin rule answers before any form opens (a crafted click gets a refusal).
      await deps.services.workspaces.requireAdmin(ctx.workspace, await withRole(ctx));
      return [{ kind: 'form', form: settingsForm(section, ctx.workspace.settings) }];
    }
    case ACTIONS.apiTokenCreate:
      await deps.services.workspaces.requireAdmin(
        ctx.workspace,
        await withRole(ctx),
        'create API tokens',
      );
      return [{ kind: 'form', form: apiTokenForm() }];
    case ACTIONS.settingsAi: {
      if (value !== 'on' && value !== 'off') throw usage('That button is not on or off.');
      const updated = await deps.services.workspaces.setAiEnabled(
        ctx.workspace,
        await withRole(ctx),
        value === 'on',
      );
      ctx.resolve?.forgetWorkspace?.();
      return [
        reply(
          noticeView(
            updated.settings.aiEnabled
              ? ':white_check_mark: AI suggestions and summaries are on (where the deployment has an AI key).'
              : ':white_check_mark: AI suggestions and summaries are off: Pebblebot uses its built-in rules only.',
          ),
        ),
      ];
    }
  }
  const command = actionCommand(actionId, value);
  if (!command) throw usage(`I do not know the button "${actionId}".`);
  const outputs = await runCommand(deps, ctx, command, options);
  return REPLACES.has(actionId)
    ? outputs.map((o) => (o.kind === 'reply' ? update(o.view) : o))
    : outputs;
}
