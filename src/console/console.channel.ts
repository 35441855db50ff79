import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Channel } from '../channel.js';
import { buttonCommand, dispatchAction } from '../conversation/actions.js';
import { Cards, TRIAGE_CARD_KIND } from '../conversation/cards.js';
import { parseCommand } from '../conversation/commands.js';
import type { ConversationContext, ConversationDeps, Output } from '../conversation/context.js';
import { grammarHelpView } from '../conversation/help.js';
import { runCommand } from '../conversation/run-command.js';
import { isPebbleError, PebbleError } from '../core/shared/errors.js';
import type { Workspace } from '../core/workspaces/workspace.model.js';
import type { UserContext } from '../core/workspaces/workspace.service.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import type { FormView } from '../views/form.view.js';
import type { ButtonView, MessageView } from '../core/ports/message-view.port.js';
import { channel as channelToken, person, type InlineToken } from '../views/tokens.js';
import { applyCast, castUser, loadCast, SAMPLE_CAST, saveCast, type Cast } from './cast.js';
import { parseDuration, type ConsoleClock } from './console-clock.js';
import { ConsoleGateway } from './console-gateway.js';
import { renderText } from './render-text.js';

/** Runs the production scheduler's jobs at a moment of the console's clock. */
export interface JobDriver {
  /** One tick of every scheduled job at `now`, then the outbox's deliveries. */
  tick(now: Date): Promise<void>;
  /** Waits until what was queued (DMs, channel posts) has been delivered. */
  settle(): Promise<void>;
}

export interface ConsoleDeps {
  services: Services;
  workspace: Workspace;
  /** Who acts when there is no cast (the person at the terminal, an admin of their workspace). */
  defaultUser: UserContext;
  input: Readable;
  output: Writable;
  logger: Logger;
  /** An interactive terminal: prompt, line editing and history. */
  prompt?: boolean;
  /** Where the cast, the history and the digest charts live. */
  dataDir: string;
  clock?: ConsoleClock;
}

/** `advance` steps an hour at a time, so every job sees each hour it would have seen live. */
const STEP_MS = 3_600_000;
const ADVANCE_MAX_MS = 8 * 7 * 86_400_000;

const CONSOLE_HELP = {
  section: 'Console',
  lines: [
    '• `cast` creates (or shows) a sample team: an admin, three council members, a sponsor, an owner',
    '• `user @ana` acts as Ana from now on; `as @ben vote V-1 fix-now` acts as Ben once',
    '• `advance 2d` (or `3h`, `1w`) moves the clock: votes close, nudges and the digest go out',
    '• Buttons show the command that does the same; `click <action> <value>` presses any of them',
    '• `quit` leaves (Ctrl-D works too)',
  ],
};

/**
 * The local terminal channel: every line goes through the conversation layer, as a Slack
 * command would, and proactive messages arrive through the same outbox and scheduler jobs,
 * printed as the person would receive them.
 */
export class ConsoleChannel implements Channel {
  readonly name = 'console';
  readonly routes = [];
  readonly chat: ConsoleGateway;
  private cast: Cast | undefined;
  private current: UserContext | undefined;
  private workspace: Workspace;
  private driver: JobDriver | undefined;
  private failures = 0;

  constructor(private readonly deps: ConsoleDeps) {
    this.workspace = deps.workspace;
    this.cast = loadCast(deps.dataDir);
    this.chat = new ConsoleGateway({
      write: (text) => this.write(text),
      personText: (id) => `@${this.handleOf(id)}`,
      channelText: (id) => `#${id}`,
      token: (t) => this.tokenText(t),
      commandFor: (b) => this.commandFor(b),
      chartDir: path.join(deps.dataDir, 'charts'),
      exportDir: path.join(deps.dataDir, 'exports'),
    });
  }

  /** Scheduled jobs and the outbox, once the scheduler runs. */
  attach(driver: JobDriver): void {
    this.driver = driver;
  }

  start(): Promise<void> {
    // Vote messages are posted to the council channel and updated in place, here as on Slack.
    this.deps.services.council.connect('console', { gateway: this.chat });
    // Triage cards leave through the outbox; where each landed is recorded on its pebble.
    this.deps.services.outbox.onDelivered(
      TRIAGE_CARD_KIND,
      new Cards(this.conversation()).delivered(),
    );
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  private write(text: string): void {
    if (text) this.deps.output.write(`${text}\n`);
  }

  private handleOf(userId: string): string {
    return this.cast?.members.find((m) => m.handle === userId)?.handle ?? userId;
  }

  private tokenText(t: InlineToken): string {
    if (t.kind === 'person') {
      const member = this.cast?.members.find((m) => m.handle === t.id);
      return `@${member?.handle ?? t.name ?? t.id}`;
    }
    if (t.kind === 'channel') return `#${t.name ?? t.id}`;
    return t.fallback;
  }

  private commandFor(button: ButtonView): string | undefined {
    return buttonCommand(button);
  }

  /** `@ana` and `#council` as typed, to the neutral tokens the grammar reads. */
  toTokens(text: string): string {
    return text
      .replace(/(^|[\s(,])@([a-z][\w.-]*)/gi, (_m, before: string, handle: string) => {
        const id = handle.toLowerCase();
        const member = this.cast?.members.find((m) => m.handle === id);
        return `${before}${person(id, member?.name)}`;
      })
      .replace(/(^|[\s(,])#([a-z][\w-]*)/gi, (_m, before: string, name: string) => {
        const id = name.toLowerCase();
        return `${before}${channelToken(id, id)}`;
      });
  }

  private actor(): UserContext {
    if (this.current) return this.current;
    const admin = this.cast?.members.find((m) => m.roles.includes('admin'));
    return admin ? castUser(admin) : this.deps.defaultUser;
  }

  private member(handle: string): UserContext {
    const id = handle.replace(/^@/, '').toLowerCase();
    if (!this.cast)
      throw new PebbleError('COMMAND.USAGE', 'There is no cast yet: type `cast` to create one.');
    const member = this.cast.members.find((m) => m.handle === id);
    if (!member)
      throw new PebbleError(
        'COMMAND.USAGE',
        `Nobody called @${id} in the cast: ${this.cast.members.map((m) => `@${m.handle}`).join(', ')}.`,
      );
    return castUser(member);
  }

  private context(actor: UserContext): ConversationContext {
    return {
      workspace: this.workspace,
      actor,
      channel: 'console',
      resolve: {
        user: (id) => {
          const member = this.cast?.members.find((m) => m.handle === id);
          return Promise.resolve(member ? { name: member.name } : undefined);
        },
        forgetWorkspace: () => undefined,
      },
    };
  }

  private conversation(): ConversationDeps {
    return {
      services: this.deps.services,
      chat: this.chat,
      log: {
        info: (fields, message) => this.deps.logger.info(fields, message),
        warn: (fields, message) => this.deps.logger.warn(fields, message),
      },
    };
  }

  private render(outputs: Output[]): string {
    return outputs
      .map((o) => (o.kind === 'form' ? this.renderForm(o.form) : this.renderView(o.view)))
      .join('\n\n');
  }

  private renderView(view: MessageView): string {
    return renderText(
      view,
      (b) => this.commandFor(b),
      (t) => this.tokenText(t),
    );
  }

  private renderForm(form: FormView): string {
    return [
      `${form.title}${form.intro ? `: ${form.intro}` : ''}`,
      ...form.fields.map(
        (f) =>
          `  ${f.label}${f.optional ? ' (optional)' : ''}${f.options ? `: ${f.options.map((o) => o.value).join(' | ')}` : ''}`,
      ),
      '  The console has a command for this form: type help to find it.',
    ].join('\n');
  }

  private async createCast(): Promise<string> {
    if (this.cast) {
      return [
        'The cast:',
        ...this.cast.members.map(
          (m) =>
            `  @${m.handle}  ${m.name}  ${m.roles.join(', ')}${m.function ? ` (${m.function})` : ''}`,
        ),
        'Act as one with `user @ana`, or once with `as @ana …`.',
      ].join('\n');
    }
    this.workspace = await applyCast(this.deps.services, this.workspace, SAMPLE_CAST);
    saveCast(this.deps.dataDir, SAMPLE_CAST);
    this.cast = SAMPLE_CAST;
    return `${await this.createCast()}\nTriage cards go to #triage, votes to #council, the digest to #leaders.`;
  }

  private async advance(text: string): Promise<string> {
    const ms = parseDuration(text);
    if (ms === undefined || ms > ADVANCE_MAX_MS)
      throw new PebbleError('COMMAND.USAGE', 'Usage: advance 2d (or 3h, 1w; at most 8w)');
    const clock = this.deps.clock;
    if (!clock || !this.driver)
      throw new PebbleError('COMMAND.UNKNOWN', 'The clock cannot be moved here.');
    for (let left = ms; left > 0; left -= STEP_MS) {
      clock.advance(Math.min(STEP_MS, left));
      await this.driver.tick(clock.now());
    }
    this.workspace = await this.deps.services.workspaces.get(this.workspace.id);
    const tz = this.workspace.settings.timezone;
    return `⏩ The clock moved ${text.trim()}: it is now ${clock.now().toLocaleString('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })} (${tz}).`;
  }

  /** Runs one line and returns what to print. */
  async handle(line: string, as?: UserContext): Promise<{ output: string; quit?: boolean }> {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('//')) return { output: '' };
    const [first = '', second = '', ...rest] = trimmed.split(/\s+/);
    const word = first.toLowerCase();
    switch (word) {
      case 'quit':
      case 'exit':
        return { output: 'Bye.', quit: true };
      case 'as':
        if (!second.startsWith('@') || !rest.length)
          throw new PebbleError('COMMAND.USAGE', 'Usage: as @ana <command>');
        return this.handle(
          trimmed.slice(first.length).trim().slice(second.length),
          this.member(second),
        );
      case 'user':
        if (!second) return { output: `You are @${this.handleOf(this.actor().userId)}.` };
        this.current = this.member(second);
        return {
          output: `You are now @${this.handleOf(this.current.userId)} (${this.current.name}).`,
        };
      case 'cast':
        return { output: await this.createCast() };
      case 'advance':
        return { output: await this.advance(trimmed.slice(first.length)) };
      case 'help':
      case '?':
        if (second) break;
        return { output: this.renderView(grammarHelpView({ extra: [CONSOLE_HELP] })) };
      case 'click': {
        if (!second) throw new PebbleError('COMMAND.USAGE', 'Usage: click <action id> [value]');
        this.workspace = await this.deps.services.workspaces.get(this.workspace.id);
        const outputs = await dispatchAction(
          this.conversation(),
          this.context(as ?? this.actor()),
          second,
          rest.join(' '),
        );
        return { output: this.render(outputs) };
      }
    }
    const command = parseCommand(this.toTokens(trimmed));
    // On Slack `/pebble <text>` is a report; here a line must start with a command.
    if (
      (command.kind === 'report' && !/^(report|anon|anonymous)$/.test(word)) ||
      command.kind === 'form'
    )
      throw new PebbleError(
        'COMMAND.UNKNOWN',
        command.kind === 'form'
          ? 'Usage: report <what got in the way>'
          : `Unknown command "${first}". Type help to see what I understand.`,
      );
    // Settings may have changed through another person's command: read them fresh.
    this.workspace = await this.deps.services.workspaces.get(this.workspace.id);
    const outputs = await runCommand(
      this.conversation(),
      this.context(as ?? this.actor()),
      command,
      {
        chart: 'fallback',
        help: [CONSOLE_HELP],
      },
    );
    return { output: this.render(outputs) };
  }

  private historyFile(): string {
    return path.join(this.deps.dataDir, 'console-history');
  }

  /** Reads commands until the input ends or the user quits; resolves with the failed count. */
  async run(): Promise<{ failed: number }> {
    const { input, output, logger, prompt } = this.deps;
    const history =
      prompt && existsSync(this.historyFile())
        ? readFileSync(this.historyFile(), 'utf8')
            .split('\n')
            .filter(Boolean)
            .reverse()
            .slice(0, 500)
        : [];
    const rl = readline.createInterface({
      input,
      ...(prompt ? { output, terminal: true, history, historySize: 500 } : { terminal: false }),
    });
    const showPrompt = () => {
      if (!prompt) return;
      rl.setPrompt(`${this.handleOf(this.actor().userId)}> `);
      rl.prompt();
    };
    if (prompt) {
      this.write(
        `Pebblebot console on workspace "${this.workspace.name ?? this.workspace.id}". Type help for commands.`,
      );
      if (!this.cast)
        this.write(
          'First time here? Type `cast` to create a small team (an admin, three council members, a sponsor, an owner) and live the whole loop.',
        );
    }
    showPrompt();
    for await (const line of rl) {
      try {
        const result = await this.handle(line);
        this.write(result.output);
        // What the command queued (DMs, the vote's close) arrives before the next line.
        await this.driver?.settle();
        if (result.quit) break;
      } catch (error) {
        this.failures++;
        if (isPebbleError(error)) {
          this.write(
            renderText(
              { text: error.message, blocks: [{ type: 'section', text: error.message }] },
              undefined,
              (t) => this.tokenText(t),
            ),
          );
        } else {
          logger.error({ err: error }, 'console command failed');
          this.write(
            'Something went wrong on our side; the details are in the log. Nothing was half-saved.',
          );
        }
      }
      showPrompt();
    }
    if (prompt) {
      const lines = (rl as unknown as { history?: string[] }).history ?? [];
      try {
        writeFileSync(this.historyFile(), `${[...lines].reverse().join('\n')}\n`);
      } catch (error) {
        logger.warn({ err: error }, 'console history not saved');
      }
    }
    rl.close();
    return { failed: this.failures };
  }
}
