import type { types } from '@slack/bolt';
import type {
  BlockView,
  ButtonView,
  ConfirmView,
  DatePickerView,
  FieldView,
  MessageView,
  OptionView,
  SelectView,
} from '../core/ports/message-view.port.js';
import { OVERFLOW_ACTION, overflowValue } from '../views/actions.js';
import { splitTokens, tokenPlain, type InlineToken } from '../views/tokens.js';

type KnownBlock = types.KnownBlock;
type ActionsElement = types.Button | types.StaticSelect | types.Datepicker | types.Overflow;

/** Where blocks are shown: each surface has its own block budget. */
export type Surface = 'message' | 'modal' | 'home';

// NOTE: Slack allows 50 blocks in a message and 100 in a modal or a Home tab
// (docs.slack.dev/reference/block-kit/blocks).
export const MAX_BLOCKS: Record<Surface, number> = { message: 50, modal: 100, home: 100 };
// NOTE: section text 3,000 characters; at most 10 fields of 2,000 each; header text 150.
export const SECTION_TEXT_MAX = 3_000;
export const FIELDS_MAX = 10;
export const FIELD_TEXT_MAX = 2_000;
export const HEADER_TEXT_MAX = 150;
// NOTE: a context block holds at most 10 elements; its text objects 3,000 characters.
export const CONTEXT_TEXT_MAX = 3_000;
// NOTE: at most 25 elements per actions block; button text 75, value 2,000, url 3,000;
// action_id and block_id 255.
export const ACTIONS_ELEMENTS_MAX = 25;
export const BUTTON_TEXT_MAX = 75;
export const BUTTON_VALUE_MAX = 2_000;
export const URL_MAX = 3_000;
export const ACTION_ID_MAX = 255;
// NOTE: a static select offers at most 100 options (or 100 groups); option text 75, option
// value 150, placeholder 150, group label 75.
export const SELECT_OPTIONS_MAX = 100;
export const OPTION_TEXT_MAX = 75;
export const OPTION_VALUE_MAX = 150;
export const PLACEHOLDER_MAX = 150;
/** The notification text of a message; Slack cuts at 40,000, we keep it readable. */
export const FALLBACK_TEXT_MAX = 3_000;

/**
 * Shortens to at most `max` UTF-16 units (what Slack's limits are safely measured in) with an
 * ellipsis, cutting between code points so no emoji is split; `encode` maps each kept
 * character (escaping), so an entity is never cut in half.
 */
export function clip(text: string, max: number, encode: (ch: string) => string = (c) => c): string {
  return clipPieces(
    Array.from(text, (ch) => encode(ch)),
    max,
  );
}

/** Keeps whole pieces (a character, an entity, a mention) up to `max` units, with an ellipsis. */
function clipPieces(pieces: string[], max: number): string {
  const whole = pieces.join('');
  if (whole.length <= max) return whole;
  let out = '';
  for (const piece of pieces) {
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out.trimEnd()}…`;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const escapeChar = (ch: string) => ENTITIES[ch] ?? ch;

/**
 * Escapes the three characters Slack's mrkdwn treats as control characters, so text from
 * users can never become a mention (`<!channel>`), a link or a broken tag.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, escapeChar);
}

// Slack ids as Slack writes them; anything else (a console id, a name) is shown as text.
const USER_ID = /^[UW][A-Z0-9]+$/;
const CHANNEL_ID = /^[CG][A-Z0-9]+$/;

/** A token the bot means, as Slack markup: a live mention, a channel link, a local date. */
export function slackToken(token: InlineToken): string {
  switch (token.kind) {
    case 'person':
      return USER_ID.test(token.id) ? `<@${token.id}>` : escapeMrkdwn(tokenPlain(token));
    case 'channel':
      return CHANNEL_ID.test(token.id) ? `<#${token.id}>` : escapeMrkdwn(tokenPlain(token));
    case 'date': {
      const epoch = Math.floor(Date.parse(token.at) / 1000);
      const shape =
        token.format === 'datetime' ? '{date_short_pretty} at {time}' : '{date_short_pretty}';
      // The fallback is read where Slack cannot localise; `|` and `>` would end the tag early.
      const fallback = escapeMrkdwn(token.fallback.replace(/\|/g, '/'));
      return `<!date^${epoch}^${shape}|${fallback}>`;
    }
  }
}

/**
 * View text as Slack mrkdwn: every literal character escaped (what people typed can never
 * become a mention, a link or a date), tokens as Slack markup, within `max` units. The one
 * way text reaches a mrkdwn field or a message's notification text.
 */
export function slackMrkdwn(text: string, max: number): string {
  const pieces = splitTokens(text).flatMap((part) =>
    typeof part === 'string' ? Array.from(part, escapeChar) : [slackToken(part)],
  );
  return clipPieces(pieces, max);
}

/**
 * View text for a plain_text field (headers, buttons, options, titles, placeholders, input
 * values): tokens read as names. Slack never parses plain_text for mentions, so nothing is
 * escaped; `&<>` stay what the person typed.
 */
export function slackPlain(text: string, max: number): string {
  const pieces = splitTokens(text).flatMap((part) =>
    typeof part === 'string' ? Array.from(part) : [tokenPlain(part)],
  );
  return clipPieces(pieces, max);
}

/** A mrkdwn text object (escaped, tokens rendered). */
export function mrkdwn(text: string, max: number): types.MrkdwnElement {
  return { type: 'mrkdwn', text: slackMrkdwn(text, max) } satisfies types.MrkdwnElement;
}

/** A plain_text object (tokens as names); Slack wants at least one character. */
export function plain(text: string, max: number): types.PlainTextElement {
  return { type: 'plain_text', text: slackPlain(text, max) || ' ', emoji: true };
}

/**
 * Several buttons with one catalogue id may sit in one block (two "+1 P-n instead" buttons);
 * Slack wants action ids unique per block, so repeats get a `#n` suffix that the listeners
 * drop (see baseActionId).
 */
function uniqueActionIds<T extends { actionId: string }>(elements: T[]): (T & { id: string })[] {
  const seen = new Map<string, number>();
  return elements.map((element) => {
    const count = (seen.get(element.actionId) ?? 0) + 1;
    seen.set(element.actionId, count);
    return { ...element, id: count === 1 ? element.actionId : `${element.actionId}#${count}` };
  });
}

/**
 * The catalogue action id behind a rendered one, without the suffixes the renderer may add: a
 * date picker's `@value` (Block Kit date pickers carry no value of their own) and the `#n` of a
 * repeated id.
 */
export function baseActionId(actionId: string): string {
  return actionId.replace(/#\d+$/, '').replace(/@[^#]*$/, '');
}

/** The value a date picker's action id carries (`improvement.propose_date@7#2` → `7`). */
export function datePickerValue(actionId: string): string {
  const at = actionId.indexOf('@');
  return at === -1 ? '' : actionId.slice(at + 1).replace(/#\d+$/, '');
}

// NOTE: a confirm dialog's title and buttons hold 100 and 30 characters, its text 300;
// an accessibility label 75.
const CONFIRM_TITLE_MAX = 100;
const CONFIRM_TEXT_MAX = 300;
const CONFIRM_BUTTON_MAX = 30;
const ACCESSIBILITY_LABEL_MAX = 75;

function confirm(view: ConfirmView): types.ConfirmationDialog {
  return {
    title: plain(view.title, CONFIRM_TITLE_MAX),
    text: plain(view.text, CONFIRM_TEXT_MAX),
    confirm: plain(view.confirm, CONFIRM_BUTTON_MAX),
    deny: plain(view.deny, CONFIRM_BUTTON_MAX),
  };
}

function button(view: ButtonView, actionId = view.actionId): types.Button {
  return {
    type: 'button',
    action_id: actionId.slice(0, ACTION_ID_MAX),
    text: plain(view.label, BUTTON_TEXT_MAX),
    ...(view.value !== undefined ? { value: view.value.slice(0, BUTTON_VALUE_MAX) } : {}),
    ...(view.style ? { style: view.style } : {}),
    ...(view.url && view.url.length <= URL_MAX ? { url: view.url } : {}),
    ...(view.confirm ? { confirm: confirm(view.confirm) } : {}),
    ...(view.accessibilityLabel
      ? { accessibility_label: clip(view.accessibilityLabel, ACCESSIBILITY_LABEL_MAX) }
      : {}),
  } satisfies types.Button;
}

// NOTE: a date picker's placeholder holds 150 characters; an overflow menu 2 to 5 options.
const OVERFLOW_OPTIONS_MIN = 2;
const OVERFLOW_OPTIONS_MAX = 5;

function datepicker(view: DatePickerView & { id: string }): types.Datepicker {
  return {
    type: 'datepicker',
    action_id: view.id.slice(0, ACTION_ID_MAX),
    placeholder: plain(view.placeholder, PLACEHOLDER_MAX),
    ...(view.initial ? { initial_date: view.initial } : {}),
  } satisfies types.Datepicker;
}

/**
 * Secondary actions as one overflow menu whose options carry their own action id and value
 * (`overflowValue`). Options that ask for a confirmation stay buttons (an overflow menu has
 * one dialog for all its options), as do options past Slack's five and a lone option.
 */
function overflow(options: ButtonView[]): { menu?: types.Overflow; buttons: ButtonView[] } {
  const fits = (o: ButtonView) => !o.confirm && overflowValue(o).length <= OPTION_VALUE_MAX;
  const menu = options.filter(fits).slice(0, OVERFLOW_OPTIONS_MAX);
  if (menu.length < OVERFLOW_OPTIONS_MIN) return { buttons: options };
  return {
    menu: {
      type: 'overflow',
      action_id: OVERFLOW_ACTION,
      options: menu.map((o) => ({
        text: plain(o.label, OPTION_TEXT_MAX),
        value: overflowValue(o),
      })),
    },
    buttons: options.filter((o) => !menu.includes(o)),
  };
}

function option(view: OptionView): types.PlainTextOption {
  return { text: plain(view.label, OPTION_TEXT_MAX), value: view.value.slice(0, OPTION_VALUE_MAX) };
}

function select(view: SelectView, actionId = view.actionId): types.StaticSelect {
  const base = {
    type: 'static_select' as const,
    action_id: actionId.slice(0, ACTION_ID_MAX),
    placeholder: plain(view.placeholder, PLACEHOLDER_MAX),
  };
  if (view.groups?.length) {
    // NOTE: the 100-option limit counts across groups; later groups are cut first.
    let budget = SELECT_OPTIONS_MAX;
    const groups = view.groups
      .slice(0, SELECT_OPTIONS_MAX)
      .map((g) => {
        const options = g.options.slice(0, Math.max(0, budget)).map(option);
        budget -= options.length;
        return { label: plain(g.label, OPTION_TEXT_MAX), options };
      })
      .filter((g) => g.options.length > 0);
    const initial = groups.flatMap((g) => g.options).find((o) => o.value === view.initial);
    return {
      ...base,
      option_groups: groups,
      ...(initial ? { initial_option: initial } : {}),
    } satisfies types.StaticSelect;
  }
  const options = (view.options ?? []).slice(0, SELECT_OPTIONS_MAX).map(option);
  const initial = options.find((o) => o.value === view.initial);
  return {
    ...base,
    options,
    ...(initial ? { initial_option: initial } : {}),
  } satisfies types.StaticSelect;
}

function fields(list: FieldView[]): types.MrkdwnElement[] {
  return list.slice(0, FIELDS_MAX).map((f) => mrkdwn(`*${f.label}*\n${f.value}`, FIELD_TEXT_MAX));
}

function renderBlock(block: BlockView): KnownBlock[] {
  switch (block.type) {
    case 'header':
      return [
        { type: 'header', text: plain(block.text, HEADER_TEXT_MAX) } satisfies types.HeaderBlock,
      ];
    case 'section':
      return [
        {
          type: 'section',
          text: mrkdwn(block.text || ' ', SECTION_TEXT_MAX),
          ...(block.fields?.length ? { fields: fields(block.fields) } : {}),
          ...(block.button ? { accessory: button(block.button) } : {}),
        } satisfies types.SectionBlock,
      ];
    case 'context':
      return [
        {
          type: 'context',
          elements: [mrkdwn(block.text || ' ', CONTEXT_TEXT_MAX)],
        } satisfies types.ContextBlock,
      ];
    case 'divider':
      return [{ type: 'divider' } satisfies types.DividerBlock];
    case 'actions': {
      const more = overflow(block.overflow?.options ?? []);
      const pickers = (block.datepickers ?? []).map((d) => ({
        ...d,
        actionId: `${d.actionId}@${d.value}`,
      }));
      const elements: ActionsElement[] = [
        ...uniqueActionIds([...block.buttons, ...more.buttons]).map((b) => button(b, b.id)),
        ...uniqueActionIds(pickers).map(datepicker),
        ...(more.menu ? [more.menu] : []),
        ...uniqueActionIds(block.selects ?? []).map((s) => select(s, s.id)),
      ];
      const chunks: KnownBlock[] = [];
      for (let i = 0; i < elements.length; i += ACTIONS_ELEMENTS_MAX) {
        chunks.push({
          type: 'actions',
          elements: elements.slice(i, i + ACTIONS_ELEMENTS_MAX),
        } satisfies types.ActionsBlock);
      }
      return chunks;
    }
  }
}

/**
 * Renders a platform-neutral view as Block Kit, within the limits of the surface: texts are
 * escaped and shortened, long button rows split, and blocks past the budget replaced by a note.
 */
export function renderBlocks(view: MessageView, surface: Surface = 'message'): KnownBlock[] {
  const blocks = view.blocks.flatMap(renderBlock);
  const max = MAX_BLOCKS[surface];
  if (blocks.length <= max) return blocks;
  const kept = blocks.slice(0, max - 1);
  kept.push({
    type: 'context',
    elements: [
      mrkdwn(
        `${blocks.length - kept.length} more items are not shown here (Slack shows at most ${max} blocks).`,
        CONTEXT_TEXT_MAX,
      ),
    ],
  } satisfies types.ContextBlock);
  return kept;
}

/**
 * A message for chat.postMessage / chat.update / response_url: fallback text plus blocks.
 * Slack parses the notification text as mrkdwn too, so it is escaped like the blocks.
 */
export function renderMessage(view: MessageView): { text: string; blocks: KnownBlock[] } {
  return { text: slackMrkdwn(view.text, FALLBACK_TEXT_MAX), blocks: renderBlocks(view, 'message') };
}
