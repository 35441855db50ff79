import type { Surface } from '../../src/slack/render-blocks.js';

/** Slack's published Block Kit limits (docs.slack.dev/reference/block-kit), checked independently of the renderer. */
const LIMITS = {
  blocks: { message: 50, modal: 100, home: 100 } as Record<Surface, number>,
  sectionText: 3_000,
  fields: 10,
  fieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  actionId: 255,
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  placeholder: 150,
};

export // Rendered blocks are walked as plain JSON, whatever their type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyBlock = Record<string, any>;

/** The markup the Slack renderer writes for view tokens (person, channel, date), removed. */
export function withoutBotMarkup(text: string): string {
  return text
    .replace(/<@[UW][A-Z0-9]+>/g, '')
    .replace(/<#[CG][A-Z0-9]+>/g, '')
    .replace(/<!date\^-?\d+\^\{date_short_pretty\}(?: at \{time\})?\|[^<>|]*>/g, '');
}

/** Every limit a list of blocks breaks, as readable strings (empty when all is well). */
export function blockKitProblems(blocks: AnyBlock[], surface: Surface): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(blocks.length <= LIMITS.blocks[surface], `${blocks.length} blocks on a ${surface}`);
  const actionIds = new Set<string>();
  const element = (e: AnyBlock, where: string) => {
    check(
      typeof e.action_id === 'string' && e.action_id.length <= LIMITS.actionId,
      `${where}: action_id`,
    );
    if (e.type === 'button') {
      check(e.text.text.length <= LIMITS.buttonText, `${where}: button text ${e.text.text.length}`);
      check(e.text.text.length > 0, `${where}: empty button text`);
      check((e.value ?? '').length <= LIMITS.buttonValue, `${where}: button value`);
    }
    if (e.type === 'static_select') {
      const options =
        e.options ?? (e.option_groups ?? []).flatMap((g: AnyBlock) => g.options as AnyBlock[]);
      check(options.length <= LIMITS.selectOptions, `${where}: ${options.length} options`);
      check(options.length > 0, `${where}: a select without options`);
      check((e.option_groups ?? []).length <= LIMITS.selectOptions, `${where}: option groups`);
      check(e.placeholder.text.length <= LIMITS.placeholder, `${where}: placeholder`);
      for (const o of options) {
        check(o.text.text.length <= LIMITS.optionText, `${where}: option text`);
        check(o.value.length <= LIMITS.optionValue, `${where}: option value`);
      }
    }
  };
  const mrkdwn = (text: string, max: number, where: string) => {
    check(text.length <= max, `${where}: ${text.length} characters`);
    check(text.length > 0, `${where}: empty text`);
    // Escaped: user text can never open a tag (mention, link, <!channel>); the only tags are
    // the bot's own tokens as the renderer writes them.
    check(!/[<>]/.test(withoutBotMarkup(text)), `${where}: unescaped < or >`);
  };
  blocks.forEach((block, i) => {
    const where = `block ${i} (${block.type})`;
    switch (block.type) {
      case 'header':
        check(
          block.text.text.length <= LIMITS.headerText,
          `${where}: header ${block.text.text.length}`,
        );
        break;
      case 'section':
        if (block.text) mrkdwn(block.text.text, LIMITS.sectionText, where);
        check((block.fields ?? []).length <= LIMITS.fields, `${where}: fields`);
        for (const f of block.fields ?? []) mrkdwn(f.text, LIMITS.fieldText, `${where} field`);
        if (block.accessory) element(block.accessory, `${where} accessory`);
        break;
      case 'context':
        check(block.elements.length <= LIMITS.contextElements, `${where}: elements`);
        for (const e of block.elements) mrkdwn(e.text, LIMITS.sectionText, where);
        break;
      case 'actions': {
        check(
          block.elements.length <= LIMITS.actionsElements,
          `${where}: ${block.elements.length} elements`,
        );
        actionIds.clear();
        for (const e of block.elements) {
          element(e, where);
          check(!actionIds.has(e.action_id), `${where}: repeated action_id ${e.action_id}`);
          actionIds.add(e.action_id);
        }
        break;
      }
      case 'divider':
      case 'input':
        break;
      default:
        problems.push(`${where}: unexpected block type`);
    }
  });
  return problems;
}

/** Every action id in a list of blocks (buttons, selects, accessories). */
export function actionIdsOf(blocks: AnyBlock[]): string[] {
  return blocks.flatMap((b) => [
    ...(b.accessory?.action_id ? [b.accessory.action_id as string] : []),
    ...(b.type === 'actions' ? (b.elements as AnyBlock[]).map((e) => e.action_id as string) : []),
  ]);
}
