import type { ExportFile } from '../core/governance/csv-export.js';
import type { ApiToken, AuditEntry } from '../core/governance/governance.model.js';
import type { MessageView } from '../core/ports/message-view.port.js';
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
    ],
  };
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

export function apiTokenListView(tokens: ApiToken[], quote: (text: string) => string): MessageView {
  const live = tokens.filter((t) => !t.revokedAt);
  return {
    text: `${live.length} live API token${live.length === 1 ? '' : 's'}`,
    blocks: [
      {
        type: 'section',
        text: tokens.length
          ? `*Read API tokens*\n${tokens
              .map(
                (t) =>
                  `• \`${t.id}\` ${t.name} · created by ${person(t.createdBy)} ${date(t.createdAt, t.createdAt.toISOString())}${t.revokedAt ? ' · revoked' : ''}`,
              )
              .join('\n')}`
          : `No API token yet. Create one with ${quote('api token create <name>')}.`,
      },
    ],
  };
}
