import { parseRetention } from '../core/governance/governance.model.js';
import { PebbleError } from '../core/shared/errors.js';
import {
  apiTokenCreatedView,
  apiTokenListView,
  auditLogView,
  exportDoneView,
  exportElsewhereView,
} from '../views/governance.view.js';
import type { MessageView } from '../core/ports/message-view.port.js';
import { noticeView } from '../views/pebble.view.js';
import { plainText } from '../views/tokens.js';
import {
  reply,
  withRole,
  type ConversationContext,
  type ConversationDeps,
  type Output,
} from './context.js';
import { after, words } from './words.js';

/** Governing a workspace: audit log, exports, read-API tokens, data rights, retention. */
export type GovernanceCommand =
  | { kind: 'audit'; page: number }
  | { kind: 'export'; from?: string; to?: string }
  | { kind: 'token-create'; name: string }
  | { kind: 'token-revoke'; id: string }
  | { kind: 'token-list' }
  | { kind: 'forget'; confirm: boolean }
  | { kind: 'delete-data'; name: string }
  | { kind: 'retention'; days: number | null };

const usage = (message: string) => new PebbleError('COMMAND.USAGE', message);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

type Quote = (text: string) => string;

/** `export [from] [to]`: undefined when the words are a report ("export takes ages"). */
export function parseExport(rest: string[], q: Quote): GovernanceCommand | undefined {
  const days = rest.map((w) => plainText(w));
  if (days.length <= 2 && days.every((d) => DAY.test(d)))
    return {
      kind: 'export',
      ...(days[0] ? { from: days[0] } : {}),
      ...(days[1] ? { to: days[1] } : {}),
    };
  if (days.length <= 2 && days.every((d) => /^\d/.test(d)))
    throw usage(`Give the period as dates: ${q('export 2026-01-01 2026-03-31')}.`);
  return undefined;
}

/** `api token create|revoke|list …`: undefined when it is not about tokens. */
export function parseApi(text: string, q: Quote): GovernanceCommand | undefined {
  const [token = '', sub = '', ...rest] = words(text);
  if (!/^tokens?$/i.test(token)) return undefined;
  switch (sub.toLowerCase()) {
    case '':
    case 'list':
      return { kind: 'token-list' };
    case 'create':
    case 'new': {
      const name = plainText(after(text, 2)).trim();
      if (!name)
        throw usage(`Name the token after what uses it: ${q('api token create power-bi')}.`);
      return { kind: 'token-create', name };
    }
    case 'revoke':
    case 'delete':
      if (rest.length !== 1) throw usage(`Say which token: ${q('api token revoke tok_1a2b3c4d')}.`);
      return { kind: 'token-revoke', id: plainText(rest[0]!) };
  }
  throw usage(
    `Try ${q('api token create <name>')}, ${q('api token list')} or ${q('api token revoke <id>')}.`,
  );
}

/** `forget me [confirm]`: undefined when it is a report ("forget my password flow…"). */
export function parseForget(rest: string[]): GovernanceCommand | undefined {
  if (!/^me$/i.test(rest[0] ?? '') || rest.length > 2) return undefined;
  if (rest.length === 1) return { kind: 'forget', confirm: false };
  return /^confirm$/i.test(rest[1] ?? '') ? { kind: 'forget', confirm: true } : undefined;
}

/** The governance settings after `config`: `audit`, `retention`, `delete-workspace-data`. */
export function parseGovernanceConfig(
  key: string,
  value: string,
  q: Quote,
): GovernanceCommand | undefined {
  const rest = words(value);
  switch (key) {
    case 'audit': {
      if (!rest.length) return { kind: 'audit', page: 1 };
      const page = Number(rest[1]);
      if (/^page$/i.test(rest[0] ?? '') && rest.length === 2 && Number.isInteger(page) && page >= 1)
        return { kind: 'audit', page };
      throw usage(`Usage: ${q('config audit [page 2]')}.`);
    }
    case 'retention': {
      if (/^(off|none|forever)$/i.test(value.trim())) return { kind: 'retention', days: null };
      const days = parseRetention(plainText(value));
      if (days === undefined)
        throw usage(
          `Say how long resolved pebbles keep their text, from 30 days to 10 years: ${q('config retention 2y')} (or \`18m\`, \`90d\`, \`off\`).`,
        );
      return { kind: 'retention', days };
    }
    case 'delete-workspace-data': {
      const name = plainText(after(value, 1)).trim();
      if (!/^confirm$/i.test(rest[0] ?? '') || !name)
        throw usage(
          `This deletes every pebble, improvement, vote and setting of this workspace, for good. To go ahead, type ${q('config delete-workspace-data confirm <workspace name>')}.`,
        );
      return { kind: 'delete-data', name };
    }
  }
  return undefined;
}

/** Runs a governance command; the services check who may. */
export async function runGovernance(
  deps: ConversationDeps,
  ctx: ConversationContext,
  command: GovernanceCommand,
  q: Quote,
): Promise<Output[]> {
  const { governance } = deps.services;
  const { workspace, actor } = ctx;
  const say = (view: MessageView) => [reply(view)];
  switch (command.kind) {
    case 'audit':
      return say(
        auditLogView(await governance.auditLog(workspace, await withRole(ctx), command.page), q),
      );
    case 'export': {
      const chat = deps.chat;
      // NOTE: a Teams bot sends a file only through a FileConsentCard in personal chat, keeping
      // the bytes until the person accepts; until that is built, Teams points to the read API.
      if (!chat?.uploadFile) return say(exportElsewhereView(q));
      const result = await governance.export(workspace, await withRole(ctx), {
        ...(command.from ? { from: command.from } : {}),
        ...(command.to ? { to: command.to } : {}),
      });
      for (const file of result.files)
        await chat.uploadFile(
          workspace.id,
          { kind: 'dm', userId: actor.userId },
          {
            data: file.data,
            filename: file.filename,
            title: file.title,
            mimeType: 'text/csv',
          },
        );
      return say(exportDoneView(result.files));
    }
    case 'token-create': {
      const { token, record } = await governance.createApiToken(
        workspace,
        await withRole(ctx),
        command.name,
      );
      return say(apiTokenCreatedView(token, record));
    }
    case 'token-list':
      return say(
        apiTokenListView(await governance.listApiTokens(workspace, await withRole(ctx)), q),
      );
    case 'token-revoke': {
      const revoked = await governance.revokeApiToken(workspace, await withRole(ctx), command.id);
      return say(
        noticeView(
          `:white_check_mark: API token \`${revoked.id}\` (${revoked.name}) is revoked; it is refused from now on.`,
        ),
      );
    }
    case 'forget': {
      if (!command.confirm)
        return say(
          noticeView(
            `This removes your name and user id from everything stored in this workspace: your pebbles, +1s, history and messages stay, attributed to "a former member"; your ballots stay counted. It cannot be undone. To go ahead: ${q('forget me confirm')}.`,
          ),
        );
      const result = await governance.forgetMe(workspace, actor);
      ctx.resolve?.forgetWorkspace?.();
      return say(
        noticeView(
          `Done: you are "a former member" in ${result.changed} stored record${result.changed === 1 ? '' : 's'} of this workspace.`,
        ),
      );
    }
    case 'delete-data': {
      const counts = await governance.deleteWorkspaceData(
        workspace,
        await withRole(ctx),
        command.name,
      );
      ctx.resolve?.forgetWorkspace?.();
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      return say(
        noticeView(
          `:wastebasket: Deleted this workspace's data (${total} records). The deletion is kept in the audit log.`,
        ),
      );
    }
    case 'retention': {
      const updated = await governance.setRetention(workspace, await withRole(ctx), command.days);
      ctx.resolve?.forgetWorkspace?.();
      const days = updated.settings.retentionDays;
      return say(
        noticeView(
          days
            ? `:white_check_mark: Resolved, declined and duplicate pebbles keep their text ${days} days after their last change; then a nightly job removes it.`
            : ':white_check_mark: Pebbles keep their text for as long as the workspace exists.',
        ),
      );
    }
  }
}
