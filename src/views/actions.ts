/**
 * The action-id catalogue: the same id is a Block Kit `action_id`, an Adaptive Card
 * `Action.Execute` verb and a console command's target.
 */
export const ACTIONS = {
  addDetails: 'pebble.add_details',
  toggleAnonymous: 'pebble.anonymous',
  mergeInto: 'pebble.merge_into',
  support: 'pebble.support',
  report: 'pebble.report',
  show: 'pebble.show',
  listPage: 'pebble.list_page',
  /** Triage card: pick a severity. */
  setSeverity: 'pebble.set_severity',
  /** Triage card: pick a journey stage (value `journey/stage`). */
  setStage: 'pebble.set_stage',
  /** Triage card: who feels it (value `number:customer|employee|partner`). */
  setStakeholder: 'pebble.set_stakeholder',
  /** Triage card: say which pebble this one duplicates (opens a form). */
  markDuplicate: 'pebble.mark_duplicate',
  /** Triage card: decline with a reason (opens a form). */
  decline: 'pebble.decline',
  /** Triage card: accept the AI triage suggestion (value: pebble number). */
  acceptSuggestion: 'pebble.accept_suggestion',
  /** Triage card: "it came back", the pebble repeats a resolved one (value `number:resolved`). */
  confirmRecurrence: 'pebble.confirm_recurrence',
  /** Improvement owner's DM: accept the asked date (value: improvement number). */
  improvementAccept: 'improvement.accept',
  /** Improvement owner's DM: accept with another date (opens a form). */
  improvementProposeDate: 'improvement.propose_date',
  /** Improvement owner's DM: decline with a reason (opens a form). */
  improvementDecline: 'improvement.decline',
  /** Improvement owner: one-click status update (value `number:on-track|at-risk|blocked`). */
  improvementStatus: 'improvement.status',
  /** Improvement owner: done (closes the loop with reporters and supporters). */
  improvementDone: 'improvement.done',
  /** Improvement owner: pause nudges (value `number:1d|3d|1w`). */
  improvementSnooze: 'improvement.snooze',
  /** Improvement owner: move the promised date (opens a form). */
  improvementChangeDate: 'improvement.change_date',
  /** Sponsor: give the improvement to someone else (opens a form). */
  improvementReassign: 'improvement.reassign',
  /** Sponsor: extend the promised date (opens a form). */
  improvementExtend: 'improvement.extend',
  /** Sponsor: drop the improvement with a reason (opens a form). */
  improvementDrop: 'improvement.drop',
  /** Close the loop: "Did this fix it for you?" Yes (value: improvement number). */
  improvementFixedYes: 'improvement.fixed_yes',
  /** Close the loop: "Not really" reopens a pebble (value: improvement number). */
  improvementFixedNo: 'improvement.fixed_no',
  /** Council vote: a ballot (value `vote:option`, or `vote:recuse`). One id for every option. */
  councilBallot: 'council.ballot',
  /** Triage card, `/pebble show`: send the pebble to the council (value: pebble number). */
  councilPropose: 'council.propose',
  /** Sponsor's DM: decide an escalated vote (value `vote:option`). */
  councilDecide: 'council.decide',
  /** WIP question: displace an active improvement (select, value `vote:improvement`). */
  councilWipDisplace: 'council.wip_displace',
  /** WIP question: queue the improvement until a slot frees up (value: vote number). */
  councilWipQueue: 'council.wip_queue',
  /** App Home (admins): open the council settings form. */
  councilSettings: 'council.settings',
  /** A "Not now" vote: give the council's reason (opens a form; value: vote number). */
  councilReason: 'council.reason',
  /** Home tab (admins): the weekly digest so far, sent privately. */
  digestPreview: 'digest.preview',
  /** Home tab (admins): open the form of one settings area (value: `triage`, `stages` …). */
  settingsEdit: 'settings.edit',
  /** Home tab (admins): AI on or off (value `on` | `off`). */
  settingsAi: 'settings.ai',
  /** Home tab (admins): one page of the audit log (value: the page, from 1). */
  auditLog: 'settings.audit',
  /** Home tab (admins): the read-API tokens, to create and revoke. */
  apiTokens: 'settings.api_tokens',
  /** The API token list: a new token (opens a form). */
  apiTokenCreate: 'settings.api_token_create',
  /** The API token list: revoke one (value: the token id). */
  apiTokenRevoke: 'settings.api_token_revoke',
  /** A button that only opens a link (Slack still reports the click: it is acknowledged). */
  openLink: 'link.open',
} as const;

export type ActionId = (typeof ACTIONS)[keyof typeof ACTIONS];

/**
 * An overflow menu's option, on platforms whose menu has one action id (Block Kit): the value
 * is `overflowValue(option)`, the option's own action id and value, and the dispatcher unfolds
 * it. Outside the catalogue: it is never a control of its own, only a carrier.
 */
export const OVERFLOW_ACTION = 'menu.overflow';

/** An overflow option as one value (`actionId|value`), for `OVERFLOW_ACTION`. */
export function overflowValue(option: { actionId: string; value?: string }): string {
  return `${option.actionId}|${option.value ?? ''}`;
}

/** The action id and value an `OVERFLOW_ACTION` value stands for. */
export function parseOverflowValue(value: string): { actionId: string; value: string } | undefined {
  const at = value.indexOf('|');
  if (at <= 0) return undefined;
  return { actionId: value.slice(0, at), value: value.slice(at + 1) };
}
