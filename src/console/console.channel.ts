import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseListFilter } from '../core/pebbles/list-filter.js';
import { parsePebbleRef, shortId } from '../core/pebbles/pebble.model.js';
import type { PebbleService } from '../core/pebbles/pebble.service.js';
import { isPebbleError, PebbleError } from '../core/shared/errors.js';
import type { Workspace } from '../core/workspaces/workspace.model.js';
import type { UserContext } from '../core/workspaces/workspace.service.js';
import type { Logger } from '../logger.js';
import { ACTIONS } from '../views/actions.js';
import type { ButtonView, MessageView } from '../views/message.view.js';
import { confirmationView, noticeView, pebbleListView, pebbleView } from '../views/pebble.view.js';
import { renderText } from './render-text.js';
import type { DigestService } from '../core/digest/digest.service.js';
import { digestView } from '../views/digest.view.js';

export const PAGE_SIZE = 20;

export const HELP = `Pebblebot console: report friction and see what happens to it.

  report <text>          record a pebble (first line = title)
  list [filter] [page N] open pebbles; filter by status, customer/employee/partner or stage
  mine                   pebbles you reported
  show P-3               one pebble in full
  +1 P-3                 add your support to a pebble
  merge P-4 P-3          fold your new report P-4 into P-3 as a +1
  anon P-3               hide (or show again) your name on a pebble you reported
  digest                 this week's CX digest so far (leaders get it every week)
  help                   this text
  quit                   leave (Ctrl-D works too)`;

export interface ConsoleDeps {
  pebbles: PebbleService;
  workspace: Workspace;
  user: UserContext;
  input: Readable;
  output: Writable;
  logger: Logger;
  /** Show a prompt (an interactive terminal). */
  prompt?: boolean;
  /** The weekly digest (the `digest` command previews it). */
  digest?: DigestService;
}

function requireRef(arg: string | undefined, usage: string): number {
  const n = arg ? parsePebbleRef(arg) : undefined;
  if (n === undefined) {
    throw new PebbleError(
      'COMMAND.USAGE',
      arg ? `"${arg}" is not a pebble id (like P-3). Usage: ${usage}` : `Usage: ${usage}`,
    );
  }
  return n;
}

/** What the console can do for a button, so rendered buttons are never dead ends. */
function commandFor(button: ButtonView): string | undefined {
  switch (button.actionId) {
    case ACTIONS.show:
      return `show ${shortId(Number(button.value))}`;
    case ACTIONS.mergeInto: {
      const [from, to] = (button.value ?? '').split(':').map(Number);
      return `merge ${shortId(from ?? 0)} ${shortId(to ?? 0)}`;
    }
    case ACTIONS.toggleAnonymous:
      return `anon ${shortId(Number(button.value))}`;
    case ACTIONS.listPage: {
      const [filter, page] = (button.value ?? '').split('|');
      return `list ${filter ? `${filter} ` : ''}page ${page}`;
    }
    default:
      return undefined;
  }
}

/** The local terminal channel: the same services and views as chat, rendered as text. */
export class ConsoleChannel {
  constructor(private readonly deps: ConsoleDeps) {}

  /** Runs one command line and returns what to print. */
  async handle(line: string): Promise<{ output: string; quit?: boolean }> {
    const { pebbles, workspace, user } = this.deps;
    const trimmed = line.trim();
    if (!trimmed) return { output: '' };
    const [rawCommand = '', ...rest] = trimmed.split(/\s+/);
    const command = rawCommand.toLowerCase();
    const argText = trimmed.slice(rawCommand.length).trim();
    const render = (view: MessageView) => ({ output: renderText(view, commandFor) });

    switch (command) {
      case 'report': {
        if (!argText) throw new PebbleError('COMMAND.USAGE', 'Usage: report <what got in the way>');
        const { pebble, truncated } = await pebbles.report(
          workspace,
          user,
          { text: argText },
          { kind: 'console' },
        );
        const similar = await pebbles.findSimilar(workspace, pebble);
        return render(confirmationView(pebble, similar, { truncated }));
      }
      case 'list':
      case 'ls': {
        const pageMatch = /^(.*?)\s*\bpage\s+(\d+)$/i.exec(argText);
        const filterArg = (pageMatch ? pageMatch[1] : argText)?.trim() ?? '';
        const page = Math.max(1, Number(pageMatch?.[2] ?? 1));
        const { filter, label } = parseListFilter(filterArg, workspace.settings);
        const offset = (page - 1) * PAGE_SIZE;
        const result = await pebbles.list(workspace, filter, { limit: PAGE_SIZE, offset });
        return render(
          pebbleListView({ ...result, offset, limit: PAGE_SIZE }, workspace.settings, {
            title: label,
            pageValue: (o) => `${filterArg}|${Math.floor(o / PAGE_SIZE) + 1}`,
          }),
        );
      }
      case 'mine': {
        const result = await pebbles.mine(workspace, user, { limit: PAGE_SIZE });
        return render(
          pebbleListView({ ...result, offset: 0, limit: PAGE_SIZE }, workspace.settings, {
            title: 'Pebbles you reported',
            emptyText: 'You have not reported any pebble yet. Try: report <what got in the way>',
          }),
        );
      }
      case 'show': {
        const n = requireRef(rest[0], 'show P-3');
        return render(pebbleView(await pebbles.get(workspace, n), workspace.settings, user));
      }
      case '+1':
      case 'support': {
        const n = requireRef(rest[0], '+1 P-3');
        const result = await pebbles.support(workspace, user, n);
        const id = shortId(result.pebble.number);
        const via = result.redirectedFrom
          ? ` (${shortId(result.redirectedFrom)} is a duplicate of ${id})`
          : '';
        const text = result.added
          ? `+1 recorded on ${id}${via}: ${result.pebble.title} now has +${result.pebble.supporterCount}.`
          : result.pebble.reporter.userId === user.userId
            ? `You reported ${id}, so your support is already counted.`
            : `You already support ${id}${via}.`;
        return render(noticeView(text));
      }
      case 'merge': {
        const from = requireRef(rest[0], 'merge P-4 P-3');
        const into = requireRef(rest[1], 'merge P-4 P-3');
        const result = await pebbles.mergeInto(workspace, user, from, into);
        return render(
          noticeView(
            `${shortId(from)} was folded into ${shortId(result.pebble.number)} as your +1 (now +${result.pebble.supporterCount}).`,
          ),
        );
      }
      case 'anon': {
        const n = requireRef(rest[0], 'anon P-3');
        const current = await pebbles.get(workspace, n);
        const updated = await pebbles.setAnonymous(workspace, user, n, !current.anonymous);
        return render(
          noticeView(
            updated.anonymous
              ? `${shortId(n)} is now anonymous: nobody else sees your name.`
              : `${shortId(n)} now shows your name.`,
          ),
        );
      }
      case 'digest': {
        if (!this.deps.digest)
          throw new PebbleError('COMMAND.UNKNOWN', 'The digest is not available here.');
        const preview = await this.deps.digest.preview(workspace);
        return render(digestView(preview, { chart: 'none', preview: true }));
      }
      case 'help':
      case '?':
        return { output: HELP };
      case 'quit':
      case 'exit':
        return { output: 'Bye.', quit: true };
      default:
        throw new PebbleError(
          'COMMAND.UNKNOWN',
          `Unknown command "${rawCommand}". Type help to see what I understand.`,
        );
    }
  }

  /** Reads commands until the input ends or the user quits. */
  async run(): Promise<void> {
    const { input, output, logger, prompt } = this.deps;
    const rl = readline.createInterface({ input, terminal: false });
    const write = (text: string) => {
      if (text) output.write(`${text}\n`);
    };
    const showPrompt = () => {
      if (prompt) output.write('pebble> ');
    };
    if (prompt)
      write(
        `Pebblebot console on workspace "${this.deps.workspace.name ?? this.deps.workspace.id}". Type help for commands.`,
      );
    showPrompt();
    for await (const line of rl) {
      try {
        const result = await this.handle(line);
        write(result.output);
        if (result.quit) break;
      } catch (error) {
        if (isPebbleError(error)) {
          write(error.message);
        } else {
          logger.error({ err: error }, 'console command failed');
          write(
            'Something went wrong on our side; the details are in the log. Nothing was half-saved.',
          );
        }
      }
      showPrompt();
    }
    rl.close();
  }
}
