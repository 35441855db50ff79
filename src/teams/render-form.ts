import {
  FORMS,
  type FormField,
  type FormId,
  type FormValues,
  type FormView,
} from '../views/form.view.js';
import { plainText } from '../views/tokens.js';
import { escapeCardText, type AdaptiveCard } from './render-card.js';

/**
 * The verb of a form shown inside a card (an Action.Execute cannot open a dialog, so a button
 * that needs more input turns the card into the form, for its caller only).
 */
export const FORM_SUBMIT_VERB = 'form.submit';

/**
 * Keys of the submit action's data that say which form this is. Teams merges the action's data
 * with the inputs' values; field ids never start with `pb.`.
 */
const META = {
  form: 'pb.form',
  n: 'pb.n',
  bools: 'pb.bools',
  many: 'pb.many',
} as const;

const FORM_IDS = new Set<string>(Object.values(FORMS));

/** Where a form's submission goes: a dialog (task module) or the card it replaced. */
export type FormSurface = 'dialog' | 'card';

function input(field: FormField): Record<string, unknown>[] {
  const base = {
    id: field.id,
    label: plainText(field.label),
    isRequired: !field.optional && field.kind !== 'checkbox',
    ...(field.hint ? { placeholder: plainText(field.hint) } : {}),
  };
  const initial = field.initial;
  const text = typeof initial === 'string' ? initial : undefined;
  // A 'search' field is typed here (Teams offers no list filled as people type): its hint says
  // what to type, like P-7.
  switch (field.kind) {
    case 'text':
    case 'long-text':
    case 'person':
    case 'channel':
    case 'search':
      return [
        {
          type: 'Input.Text',
          ...base,
          ...(field.kind === 'long-text' ? { isMultiline: true } : {}),
          ...(field.maxLength ? { maxLength: field.maxLength } : {}),
          ...(field.kind === 'person' && !field.hint
            ? { placeholder: 'Their Teams user id (29:…); a typed command takes an @mention' }
            : {}),
          ...(field.kind === 'channel' && !field.hint
            ? { placeholder: 'The channel id (19:…); a typed command takes the #channel' }
            : {}),
          ...(text !== undefined ? { value: text } : {}),
        },
      ];
    case 'people':
      return [
        {
          type: 'Input.Text',
          ...base,
          placeholder: 'Teams user ids (29:…), separated by commas',
          ...(Array.isArray(initial) ? { value: initial.join(',') } : {}),
        },
      ];
    case 'pick-one':
    case 'pick-many':
      return [
        {
          type: 'Input.ChoiceSet',
          ...base,
          style: 'compact',
          ...(field.kind === 'pick-many' ? { isMultiSelect: true } : {}),
          choices: (field.options ?? []).map((o) => ({
            title: plainText(o.label),
            value: o.value,
          })),
          ...(Array.isArray(initial)
            ? { value: initial.join(',') }
            : text !== undefined
              ? { value: text }
              : {}),
        },
      ];
    case 'date':
      return [{ type: 'Input.Date', ...base, ...(text ? { value: text } : {}) }];
    case 'number':
      return [
        {
          type: 'Input.Number',
          ...base,
          ...(field.min !== undefined ? { min: field.min } : {}),
          ...(field.max !== undefined ? { max: field.max } : {}),
          ...(text !== undefined ? { value: Number(text) } : {}),
        },
      ];
    case 'checkbox':
      return [
        {
          type: 'Input.Toggle',
          id: field.id,
          title: plainText(field.label),
          valueOn: 'true',
          valueOff: 'false',
          value: initial === true || initial === 'true' ? 'true' : 'false',
        },
      ];
  }
}

/**
 * A neutral form as an Adaptive Card with inputs: the body of a Teams dialog, or the card a
 * button turned into. Refusals of an earlier submission show under their fields.
 */
export function renderFormCard(form: FormView, surface: FormSurface): AdaptiveCard {
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: escapeCardText(plainText(form.title)),
      weight: 'Bolder',
      wrap: true,
    },
  ];
  if (form.intro)
    body.push({ type: 'TextBlock', text: escapeCardText(plainText(form.intro)), wrap: true });
  for (const field of form.fields) {
    body.push(...input(field));
    const error = form.errors?.[field.id];
    if (error)
      body.push({
        type: 'TextBlock',
        text: escapeCardText(plainText(error)),
        color: 'Attention',
        size: 'Small',
        wrap: true,
        spacing: 'None',
      });
  }
  const unplaced = Object.entries(form.errors ?? {}).filter(
    ([id]) => !form.fields.some((f) => f.id === id),
  );
  for (const [, error] of unplaced)
    body.push({
      type: 'TextBlock',
      text: escapeCardText(plainText(error)),
      color: 'Attention',
      wrap: true,
    });
  const meta = {
    [META.form]: form.id,
    [META.n]: String(form.meta.n),
    [META.bools]: form.fields
      .filter((f) => f.kind === 'checkbox')
      .map((f) => f.id)
      .join(','),
    [META.many]: form.fields
      .filter((f) => f.kind === 'pick-many' || f.kind === 'people')
      .map((f) => f.id)
      .join(','),
  };
  const submit =
    surface === 'dialog'
      ? { type: 'Action.Submit', title: plainText(form.submit), data: meta }
      : {
          type: 'Action.Execute',
          title: plainText(form.submit),
          verb: FORM_SUBMIT_VERB,
          data: { action: FORM_SUBMIT_VERB, ...meta },
        };
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    fallbackText: plainText(form.title),
    body,
    actions: [submit],
  };
}

/** A submitted form: which one, about what, and its values as the neutral map. */
export interface FormSubmission {
  formId: FormId;
  n: number;
  values: FormValues;
}

/**
 * Reads a dialog's or a form card's submission back into the neutral shape: checkboxes to
 * booleans, multi-selects to arrays. Undefined when the data does not name one of our forms.
 */
export function readFormSubmission(data: Record<string, unknown>): FormSubmission | undefined {
  const formId = data[META.form];
  if (typeof formId !== 'string' || !FORM_IDS.has(formId)) return undefined;
  const n = Number(data[META.n] ?? 0);
  const list = (key: string) =>
    typeof data[key] === 'string' ? data[key].split(',').filter(Boolean) : [];
  const bools = new Set(list(META.bools));
  const many = new Set(list(META.many));
  const values: FormValues = {};
  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith('pb.') || key === 'action' || key === 'msteams') continue;
    if (bools.has(key)) values[key] = value === true || value === 'true';
    else if (many.has(key))
      values[key] = Array.isArray(value)
        ? value.filter((v): v is string => typeof v === 'string')
        : typeof value === 'string'
          ? value
              .split(',')
              .map((v) => v.trim())
              .filter(Boolean)
          : [];
    else if (typeof value === 'string') values[key] = value;
  }
  // A checkbox left untouched may not be sent at all.
  for (const key of bools) values[key] ??= false;
  return {
    formId: formId as FormId,
    n: Number.isInteger(n) && n >= 0 ? n : 0,
    values,
  };
}
