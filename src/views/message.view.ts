/**
 * Platform-neutral message model. Slack (Block Kit), Teams (Adaptive Cards) and the console
 * (text) each render it with one pure function, so every channel shows the same thing.
 */
export interface ButtonView {
  label: string;
  /** Entry of the action-id catalogue (src/views/actions.ts). */
  actionId: string;
  value?: string;
  style?: 'primary' | 'danger';
  url?: string;
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
  | { type: 'actions'; buttons: ButtonView[]; selects?: SelectView[] }
  | { type: 'divider' };

export interface MessageView {
  /** Plain fallback text (notifications, screen readers, the console's first line). */
  text: string;
  blocks: BlockView[];
}
