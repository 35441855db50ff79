/**
 * Platform-neutral message model. Slack (Block Kit), Teams (Adaptive Cards) and the console
 * (text) each render it with one pure function, so every channel shows the same thing.
 */
/**
 * A confirmation asked before a button acts (Block Kit `confirm`, an Adaptive Card dialog):
 * for what cannot be undone in one click (drop, decline, "Not really" reopening a pebble).
 */
export interface ConfirmView {
  title: string;
  text: string;
  /** The label that goes ahead, e.g. "Drop it". */
  confirm: string;
  /** The label that backs out, e.g. "Keep it". */
  deny: string;
}

export interface ButtonView {
  label: string;
  /** Entry of the action-id catalogue (src/views/actions.ts). */
  actionId: string;
  value?: string;
  style?: 'primary' | 'danger';
  url?: string;
  /** Ask before acting. */
  confirm?: ConfirmView;
  /** What a screen reader says when the label alone is ambiguous ("Done" of which improvement). */
  accessibilityLabel?: string;
}

/**
 * Secondary actions folded into one "more" menu (Block Kit `overflow`, an Adaptive Card
 * `Action.ShowCard` / overflow). Each option is a button with its own action id; a platform
 * whose menu carries one id per element sends `OVERFLOW_ACTION` with the value from
 * `overflowValue`, and the dispatcher unfolds it.
 */
export interface OverflowView {
  options: ButtonView[];
}

/**
 * A date to pick (Block Kit `datepicker`, Adaptive Card `Input.Date` with an action). The
 * picked day comes back as `value:YYYY-MM-DD` under `actionId`.
 */
export interface DatePickerView {
  /** Entry of the action-id catalogue (src/views/actions.ts). */
  actionId: string;
  /** What the pick is about (e.g. an improvement number); the date is appended after `:`. */
  value: string;
  placeholder: string;
  /** The day shown as chosen (YYYY-MM-DD). */
  initial?: string;
}

export interface OptionView {
  label: string;
  value: string;
}

/** A pick-one menu (Block Kit static select, Adaptive Card choice set). */
export interface SelectView {
  placeholder: string;
  /** Entry of the action-id catalogue (src/views/actions.ts). */
  actionId: string;
  /** Flat options, or options grouped under a label (e.g. stages under their journey). */
  options?: OptionView[];
  groups?: { label: string; options: OptionView[] }[];
  /** Value of the option shown as chosen. */
  initial?: string;
}

export interface FieldView {
  label: string;
  value: string;
}

export type BlockView =
  | { type: 'header'; text: string }
  | { type: 'section'; text: string; fields?: FieldView[]; button?: ButtonView }
  | { type: 'context'; text: string }
  | {
      type: 'actions';
      buttons: ButtonView[];
      selects?: SelectView[];
      datepickers?: DatePickerView[];
      /** Secondary actions, after the buttons; NOTE: Slack allows 5 options per overflow. */
      overflow?: OverflowView;
    }
  | { type: 'divider' };

export interface MessageView {
  /** Plain fallback text (notifications, screen readers, the console's first line). */
  text: string;
  blocks: BlockView[];
}

/**
 * The buttons of an actions block with its date pickers and overflow options as buttons of
 * their own: each opens the same form or runs the same command it stands for, through the
 * listener of its action id. For Slack and Teams, whose overflow and date
 * elements need the neutral forms that those channels do not open yet.
 */
export function actionButtons(block: Extract<BlockView, { type: 'actions' }>): ButtonView[] {
  return [
    ...block.buttons,
    ...(block.datepickers ?? []).map((d) => ({
      label: d.placeholder,
      actionId: d.actionId,
      value: d.value,
    })),
    ...(block.overflow?.options ?? []),
  ];
}
