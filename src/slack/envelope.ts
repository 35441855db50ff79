import { z } from 'zod';

/**
 * The outer shapes of what Slack delivers, checked before Bolt sees a body. Bolt dereferences
 * these fields without checking (a signed `null` body even crashes its HTTP receiver), so a
 * body that lacks them is answered 400 here instead of a 500, a hang or a crash. Listeners
 * parse the inner fields they use with their own schemas.
 */
const Id = z.string().min(1).max(255);
const Team = z.object({ id: Id }).nullish();
const User = z.object({ id: Id, team_id: Id.optional() });

export const CommandEnvelope = z.object({
  command: z.string().regex(/^\/[\w-]{1,31}$/),
  team_id: Id,
  user_id: Id,
  channel_id: Id,
  text: z.string().max(40_000).default(''),
  trigger_id: Id,
  response_url: z.url(),
  user_name: z.string().max(255).optional(),
});

export const EventEnvelope = z
  .object({
    type: z.literal('event_callback'),
    team_id: Id.optional(),
    event_id: Id.optional(),
    event: z.object({ type: Id }),
    authorizations: z.array(z.object({ team_id: Id.nullish() })).optional(),
  })
  .refine((body) => Boolean(body.team_id ?? body.authorizations?.[0]?.team_id), {
    message: 'an event needs team_id',
  });

const BlockActionsEnvelope = z.object({
  type: z.literal('block_actions'),
  user: User,
  team: Team,
  actions: z.array(z.object({ action_id: z.string().min(1).max(255) })).min(1),
});

const ViewEnvelope = z.object({
  type: z.enum(['view_submission', 'view_closed']),
  user: User,
  team: Team,
  view: z.object({ id: Id, callback_id: z.string().max(255) }),
});

const ShortcutEnvelope = z.object({
  type: z.enum(['shortcut', 'message_action']),
  callback_id: z.string().min(1).max(255),
  trigger_id: Id,
  user: User,
  team: Team,
});

/** A menu asking for its options (external select) as someone types. */
const SuggestionEnvelope = z.object({
  type: z.literal('block_suggestion'),
  action_id: z.string().min(1).max(255),
  user: User,
  team: Team,
});

const InteractionEnvelope = z
  .discriminatedUnion('type', [
    BlockActionsEnvelope,
    ViewEnvelope,
    ShortcutEnvelope,
    SuggestionEnvelope,
  ])
  .refine((body) => Boolean(body.team?.id ?? body.user.team_id), {
    message: 'an interaction needs team.id or user.team_id',
  });

const UrlVerification = z.object({
  type: z.literal('url_verification'),
  challenge: z.string().max(1_000),
});
const RateLimited = z.object({ type: z.literal('app_rate_limited') });

/**
 * The schema a body's shape calls for. Picked rather than tried in turn: a union builds the
 * failures of every schema before the one that fits, for every request.
 */
function envelopeFor(body: object) {
  if ('command' in body) return CommandEnvelope;
  switch ((body as { type?: unknown }).type) {
    case 'url_verification':
      return UrlVerification;
    case 'app_rate_limited':
      return RateLimited;
    case 'event_callback':
      return EventEnvelope;
    default:
      // Its discriminated union names the interaction types a bad `type` is not.
      return InteractionEnvelope;
  }
}

export type EnvelopeCheck = { ok: true } | { ok: false; problem: string };

function problemOf(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'malformed body';
}

/** Checks a parsed body (an Events API callback, an interaction payload or a slash command). */
export function checkEnvelope(body: unknown): EnvelopeCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, problem: 'the body is not a JSON object' };
  const parsed = envelopeFor(body).safeParse(body);
  return parsed.success ? { ok: true } : { ok: false, problem: problemOf(parsed.error) };
}

/**
 * Parses a raw HTTP body the way Slack sends it: JSON (events), or a form whose `payload`
 * field holds JSON (interactions) or whose fields are the command. Undefined when unparsable.
 */
export function parseRawBody(raw: string, contentType: string | undefined): unknown {
  try {
    if (contentType?.split(';')[0]?.trim() === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(raw);
      const payload = form.get('payload');
      return payload !== null ? (JSON.parse(payload) as unknown) : Object.fromEntries(form);
    }
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
