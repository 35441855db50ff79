import {
  actionButtons,
  type BlockView,
  type ButtonView,
  type MessageView,
  type SelectView,
} from '../core/ports/message-view.port.js';
import { renderTokens, splitTokens, tokenPlain, type InlineToken } from '../views/tokens.js';

/** An Adaptive Card as JSON (validated against the 1.5 schema in tests). */
export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard'; version: '1.5' };

/** A Teams mention entity: `<at>name</at>` in the card text, resolved to a person by Teams. */
export interface MentionEntity {
  type: 'mention';
  text: string;
  mentioned: { id: string; name: string };
}

export interface RenderedCard {
  card: AdaptiveCard;
  /** Mentions the card uses (already inside `msteams.entities`; a message may list them too). */
  mentions: MentionEntity[];
}

export interface RenderCardOptions {
  /**
   * Universal Actions refresh: Teams asks the bot for a fresh card (verb `actionId`) when one of
   * these people opens the conversation, so each sees their own state (their own ballot).
   */
  refresh?: { actionId: string; value?: string; userIds: string[] };
  /** An image shown in the card (the digest's chart), before a closing context line. */
  image?: { url: string; altText: string };
}

// NOTE: Teams accepts about 100 KB per message and answers 413 above it; cards under 28 KB are
// safe everywhere (PLATFORM-LIMITS.md).
export const CARD_BYTE_LIMIT = 28 * 1024;
// NOTE: refresh.userIds takes at most 60 people (Universal Actions for Adaptive Cards).
const REFRESH_USER_LIMIT = 60;

/** The id of the choice set that carries a select's value into its Action.Execute data. */
export function selectInputId(actionId: string): string {
  return `select:${actionId}`;
}

const EMOJI: Record<string, string> = {
  ':white_check_mark:': '✅',
  ':warning:': '⚠️',
  ':rock:': '🪨',
  ':ballot_box_with_ballot:': '🗳️',
  ':tada:': '🎉',
  ':hourglass_flowing_sand:': '⏳',
  ':bell:': '🔔',
  ':chart_with_upwards_trend:': '📈',
};

/**
 * Makes literal text inert in a TextBlock: Teams renders a markdown subset (bold, italic, lists,
 * links) and resolves `<at>…</at>` against the mention list, and the Adaptive Card host expands
 * `{{DATE(…)}}`. Escaping the markdown characters and breaking `{{` keeps people's text as typed.
 */
export function escapeCardText(text: string): string {
  return text
    .replace(/[\\*_[\]`<>~|]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([-+#>])/gm, '$1\\$2')
    .replace(/^(\s*\d+)\./gm, '$1\\.')
    .replace(/\{\{/g, '{\u200B{')
    .replace(/\}\}/g, '}\u200B}');
}

/** View markup (Slack-flavoured: `*bold*`, `_italic_`, `:emoji:`) → escaped Teams markdown. */
function literal(text: string): string {
  const withEmoji = text.replace(/:[a-z0-9_+-]+:/g, (m) => EMOJI[m] ?? m);
  let out = '';
  let last = 0;
  for (const match of withEmoji.matchAll(/(^|[\s(])([*_])([^*_\n]+)\2(?=$|[\s).,:;!?])/g)) {
    const start = match.index + (match[1]?.length ?? 0);
    out += escapeCardText(withEmoji.slice(last, start));
    const inner = escapeCardText(match[3] ?? '');
    out += match[2] === '*' ? `**${inner}**` : `_${inner}_`;
    last = match.index + match[0].length;
  }
  return out + escapeCardText(withEmoji.slice(last));
}

/** Adaptive Card date functions want RFC 3339 without fractions of a second. */
function rfc3339(at: string): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

class TextRenderer {
  readonly mentions = new Map<string, MentionEntity>();

  /** View text → TextBlock markdown with mentions and localised dates. */
  markdown(text: string): string {
    return renderTokens(text, literal, (t) => this.token(t));
  }

  /** View text → plain text (button titles, choices), tokens read by name. */
  plain(text: string): string {
    return splitTokens(text)
      .map((p) =>
        typeof p === 'string' ? p.replace(/:[a-z0-9_+-]+:/g, (m) => EMOJI[m] ?? m) : tokenPlain(p),
      )
      .join('')
      .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1$2');
  }

  private token(t: InlineToken): string {
    switch (t.kind) {
      case 'person': {
        // Names shown in a mention cannot carry markup or close the <at> tag early.
        const name = (t.name ?? t.id).replace(/[<>\\*_[\]`{}]/g, '');
        const text = `<at>${name}</at>`;
        this.mentions.set(`${t.id}|${text}`, {
          type: 'mention',
          text,
          mentioned: { id: t.id, name },
        });
        return text;
      }
      case 'channel':
        return `**#${literal(t.name ?? t.id)}**`;
      case 'date': {
        const at = rfc3339(t.at);
        return t.format === 'datetime'
          ? `{{DATE(${at}, SHORT)}} {{TIME(${at})}}`
          : `{{DATE(${at}, SHORT)}}`;
      }
    }
  }
}

function action(button: ButtonView, text: TextRenderer): Record<string, unknown> {
  const title = text.plain(button.label);
  if (button.url) return { type: 'Action.OpenUrl', title, url: button.url };
  return {
    type: 'Action.Execute',
    title,
    verb: button.actionId,
    data: {
      action: button.actionId,
      ...(button.value !== undefined ? { value: button.value } : {}),
    },
    ...(button.style ? { style: button.style === 'primary' ? 'positive' : 'destructive' } : {}),
  };
}

function choiceSet(select: SelectView, text: TextRenderer): Record<string, unknown>[] {
  // NOTE: Adaptive Card choice sets have no groups: a group's label prefixes its options.
  const choices = [
    ...(select.options ?? []).map((o) => ({ title: text.plain(o.label), value: o.value })),
    ...(select.groups ?? []).flatMap((g) =>
      g.options.map((o) => ({
        title: `${text.plain(g.label)} › ${text.plain(o.label)}`,
        value: o.value,
      })),
    ),
  ];
  return [
    {
      type: 'Input.ChoiceSet',
      id: selectInputId(select.actionId),
      placeholder: text.plain(select.placeholder),
      choices,
      ...(select.initial !== undefined ? { value: select.initial } : {}),
    },
    {
      type: 'ActionSet',
      actions: [
        {
          type: 'Action.Execute',
          title: 'Apply',
          verb: select.actionId,
          data: { action: select.actionId },
        },
      ],
    },
  ];
}

function elements(block: BlockView, text: TextRenderer): Record<string, unknown>[] {
  switch (block.type) {
    case 'header':
      return [
        {
          type: 'TextBlock',
          text: text.markdown(block.text),
          size: 'Large',
          weight: 'Bolder',
          wrap: true,
        },
      ];
    case 'section': {
      const out: Record<string, unknown>[] = [
        { type: 'TextBlock', text: text.markdown(block.text), wrap: true },
      ];
      if (block.fields?.length)
        out.push({
          type: 'FactSet',
          facts: block.fields.map((f) => ({
            title: text.plain(f.label),
            value: text.markdown(f.value),
          })),
        });
      if (block.button) out.push({ type: 'ActionSet', actions: [action(block.button, text)] });
      return out;
    }
    case 'context':
      return [
        {
          type: 'TextBlock',
          text: text.markdown(block.text),
          isSubtle: true,
          size: 'Small',
          wrap: true,
        },
      ];
    case 'actions': {
      const out: Record<string, unknown>[] = [];
      for (const select of block.selects ?? []) out.push(...choiceSet(select, text));
      // Date pickers and overflow options are buttons too: each opens the form or runs the
      // command it stands for.
      const buttons = actionButtons(block);
      if (buttons.length)
        out.push({ type: 'ActionSet', actions: buttons.map((b) => action(b, text)) });
      return out;
    }
    case 'divider':
      return [];
  }
}

function build(view: MessageView, blocks: BlockView[], options: RenderCardOptions): RenderedCard {
  const text = new TextRenderer();
  const body: Record<string, unknown>[] = [];
  let separate = false;
  for (const block of blocks) {
    if (block.type === 'divider') {
      separate = body.length > 0;
      continue;
    }
    const rendered = elements(block, text);
    if (separate && rendered[0])
      rendered[0] = { ...rendered[0], separator: true, spacing: 'Medium' };
    if (rendered.length) separate = false;
    body.push(...rendered);
  }
  if (body.length === 0)
    body.push({ type: 'TextBlock', text: text.markdown(view.text), wrap: true });
  if (options.image) {
    const image = {
      type: 'Image',
      url: options.image.url,
      // NOTE: Adaptive Cards read altText aloud; long alt texts are cut by some clients.
      altText: options.image.altText.slice(0, 1_000),
      size: 'Stretch',
      spacing: 'Medium',
    };
    const closing = blocks.at(-1)?.type === 'context' ? 1 : 0;
    body.splice(body.length - closing, 0, image);
  }
  const refresh = options.refresh && {
    action: {
      type: 'Action.Execute',
      verb: options.refresh.actionId,
      data: {
        action: options.refresh.actionId,
        ...(options.refresh.value !== undefined ? { value: options.refresh.value } : {}),
      },
    },
    userIds: options.refresh.userIds.slice(0, REFRESH_USER_LIMIT),
  };
  const mentions = [...text.mentions.values()];
  const card: AdaptiveCard = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    fallbackText: text.plain(view.text),
    body,
    ...(refresh ? { refresh } : {}),
    msteams: { width: 'Full', ...(mentions.length ? { entities: mentions } : {}) },
  };
  return { card, mentions };
}

export function cardBytes(card: AdaptiveCard): number {
  return Buffer.byteLength(JSON.stringify(card));
}

/**
 * Renders a neutral message view as an Adaptive Card 1.5: blocks become TextBlocks, FactSets
 * and ActionSets, buttons become `Action.Execute` with the action id as verb and
 * `data { action, value }`. A view too large for one card keeps its header and its last
 * actions and drops blocks from the end of the middle, saying how many.
 */
export function renderCard(view: MessageView, options: RenderCardOptions = {}): RenderedCard {
  const rendered = build(view, view.blocks, options);
  if (cardBytes(rendered.card) <= CARD_BYTE_LIMIT) return rendered;
  const last = view.blocks.at(-1);
  const tail = last?.type === 'actions' ? [last] : [];
  const middle = view.blocks.slice(0, view.blocks.length - tail.length);
  const cut = (keep: number) => {
    const omitted = middle.length - keep;
    const note: BlockView = {
      type: 'context',
      text: `${omitted} more part${omitted === 1 ? '' : 's'} did not fit in this card.`,
    };
    return build(view, [...middle.slice(0, keep), note, ...tail], options);
  };
  // The largest prefix of the middle that fits (binary search: each try renders the card).
  let low = 0;
  let high = middle.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (cardBytes(cut(mid).card) <= CARD_BYTE_LIMIT) low = mid;
    else high = mid - 1;
  }
  return cut(low);
}

/** A small card with one message (an invoke's answer when something went wrong). */
export function noticeCard(text: string): AdaptiveCard {
  return renderCard({ text, blocks: [{ type: 'section', text }] }).card;
}
