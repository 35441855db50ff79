import type { ExportFile } from '../core/governance/csv-export.js';
import type { ApiToken, AuditEntry } from '../core/governance/governance.model.js';
import type { BlockView, ButtonView, MessageView } from '../core/ports/message-view.port.js';
import { ACTIONS } from './actions.js';
import { date, person } from './tokens.js';

const who = (actor: string) =>
  actor === 'pebblebot' || actor.startsWith('former-') ? actor : person(actor);

/** Keeps one audit value readable in a chat line (the export has it whole). */
function short(json: string, max = 180): string {
  return json.length > max ? `${json.slice(0, max - 1)}…` : json;
}

/** One page of the audit log, newest first. */
export function auditLogView(
  page: { items: AuditEntry[]; total: number; page: number; pages: number },
  quote: (text: string) => string,
): MessageView {
  if (!page.total)
    return {
      text: 'The audit log is empty.',
      blocks: [{ type: 'section', text: 'The audit log is empty: no setting has changed yet.' }],
    };
  return {
    text: `Audit log, page ${page.page} of ${page.pages}`,
    blocks: [
      { type: 'header', text: `Audit log · page ${page.page} of ${page.pages}` },
      ...page.items.map((e) => ({
        type: 'section' as const,
        text: `*${e.action}* · ${e.what || '-'} · by ${who(e.actor)} · ${date(e.at, e.at.toISOString().slice(0, 16).replace('T', ' '), 'datetime')}\nbefore: \`${short(e.before)}\`\nafter: \`${short(e.after)}\``,
      })),
      {
        type: 'context',
        text:
          `${page.total} change${page.total === 1 ? '' : 's'} recorded.` +
          (page.page < page.pages ? ` Older: ${quote(`config audit page ${page.page + 1}`)}.` : ''),
      },
      ...pageButtons(page),
    ],
  };
}

/** Newer / Older buttons, turning the audit log's page in place. */
function pageButtons(page: { page: number; pages: number }): BlockView[] {
  const buttons: ButtonView[] = [];
  if (page.page > 1)
    buttons.push({ label: 'Newer', actionId: ACTIONS.auditLog, value: String(page.page - 1) });
  if (page.page < page.pages)
    buttons.push({ label: 'Older', actionId: ACTIONS.auditLog, value: String(page.page + 1) });
  return buttons.length ? [{ type: 'actions', buttons }] : [];
}

/** What the admin sees after an export: the files are in their direct messages. */
export function exportDoneView(files: ExportFile[]): MessageView {
  const list = files.map((f) => `• ${f.title}: ${f.rows} row${f.rows === 1 ? '' : 's'}`).join('\n');
  return {
    text: 'Your export is in your direct messages.',
    blocks: [
      {
        type: 'section',
        text: `:file_folder: Your export is in your direct messages (CSV):\n${list}\nAnonymous reporters are left out; no ballot is linked to a voter.`,
      },
    ],
  };
}

/**
 * Where a channel cannot deliver files (Teams, for now): what to do instead, with nothing
 * exported or recorded.
 */
export function exportElsewhereView(quote: (text: string) => string): MessageView {
  return {
    text: 'Exports cannot be sent as files here yet.',
    blocks: [
      {
        type: 'section',
        text: `:file_folder: Pebblebot cannot send you files here yet, so nothing was exported. The same data is in the read API: ${quote('api token create <name>')} gives you a token (shown once) for \`GET /api/v1/pebbles\`, \`/improvements\` and \`/decisions\` (Power BI, Excel or a script can read them). Or run ${quote('export')} in Slack or the console, where the CSV files are delivered.`,
      },
    ],
  };
}

/** The new token, shown once. */
export function apiTokenCreatedView(token: string, record: ApiToken): MessageView {
  return {
    text: `API token ${record.id} created; copy it now.`,
    blocks: [
      {
        type: 'section',
        text: `:key: API token *${record.name}* (\`${record.id}\`) for the read API. Copy it now: it is shown only this once.\n\`${token}\`\nSend it as \`Authorization: Bearer <token>\` to \`/api/v1/…\`.`,
      },
    ],
  };
}

/** Tokens listed with a Revoke button each (NOTE: Slack allows 50 blocks per message). */
const TOKENS_LISTED = 40;

export function apiTokenListView(tokens: ApiToken[], quote: (text: string) => string): MessageView {
  const live = tokens.filter((t) => !t.revokedAt);
  const line = (t: ApiToken) =>
    `\`${t.id}\` ${t.name} · created by ${person(t.createdBy)} ${date(t.createdAt, t.createdAt.toISOString())}${t.revokedAt ? ' · revoked' : ''}`;
  const listed = tokens.slice(0, TOKENS_LISTED);
  return {
    text: `${live.length} live API token${live.length === 1 ? '' : 's'}`,
    blocks: [
      {
        type: 'section',
        text: tokens.length
          ? '*Read API tokens*'
          : `No API token yet. Create one with ${quote('api token create <name>')}.`,
      },
      ...listed.map((t): BlockView =>
        t.revokedAt
          ? { type: 'section', text: line(t) }
          : {
              type: 'section',
              text: line(t),
              button: {
                label: 'Revoke',
                actionId: ACTIONS.apiTokenRevoke,
                value: t.id,
                style: 'danger',
                accessibilityLabel: `Revoke the API token ${t.name}`,
                confirm: {
                  title: 'Revoke this token?',
                  text: `Tools using ${t.name} lose access at once.`,
                  confirm: 'Revoke',
                  deny: 'Keep it',
                },
              },
            },
      ),
      ...(tokens.length > TOKENS_LISTED
        ? [
            {
              type: 'context' as const,
              text: `${tokens.length - TOKENS_LISTED} older tokens not shown.`,
            },
          ]
        : []),
      {
        type: 'actions',
        buttons: [{ label: 'Create a token', actionId: ACTIONS.apiTokenCreate, style: 'primary' }],
      },
    ],
  };
}
