import nock from 'nock';
import { SAMPLE_CAST, applyCast, type Cast } from '../../src/console/cast.js';
import type { Clock } from '../../src/core/shared/clock.port.js';
import { DEFAULT_JOURNEYS } from '../../src/core/workspaces/workspace.model.js';
import { ACTIONS } from '../../src/views/actions.js';
import { API, blockAction, HOOKS, startSlackApp, TEAM, TRIAGE, uid } from '../slack/harness.js';
import { PEOPLE, type ParityDriver, type Person } from './driver.js';

const COUNCIL = 'C0COUNCIL';
const LEADERS = 'C0LEADERS';
const slackId = (person: Person) => `U0${person.toUpperCase()}`;
const user = (person: Person) => ({ id: slackId(person), name: person });

/** A Web API or response_url body, JSON or form-encoded. */
function decode(body: unknown): Record<string, unknown> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  if (raw.startsWith('{')) return JSON.parse(raw) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(raw));
}

/**
 * The story through signed Slack HTTP: slash commands and clicks of the buttons and menus the
 * bot rendered, each by the person's Slack user. Slack's Web API answers every call (nothing
 * here asserts on it; the parity is in the store).
 */
export async function slackDriver(clock: Clock): Promise<ParityDriver> {
  const names = new Map(SAMPLE_CAST.members.map((m) => [slackId(m.handle as Person), m.name]));
  let calls = 0;
  const answers: string[] = [];
  const t = await startSlackApp({
    clock,
    prepare: () => {
      nock(API)
        .persist()
        .post(/^\/api\/.+/)
        .reply(200, (uri, requestBody) => {
          calls++;
          const body = decode(requestBody);
          if (uri.endsWith('users.info')) {
            const id = String(body.user);
            const name = names.get(id) ?? id;
            return { ok: true, user: { id, name: id.toLowerCase(), real_name: name } };
          }
          const channel = typeof body.channel === 'string' ? body.channel : 'C0ANY';
          return {
            ok: true,
            channel: channel.startsWith('U') ? `D${channel.slice(1)}` : channel,
            ts: `${Math.floor(Date.now() / 1000)}.${String(calls).padStart(6, '0')}`,
            view: { id: `V${uid()}` },
            permalink: 'https://acme.slack.com/archives/C0GENERAL1/p1',
          };
        });
      nock(HOOKS)
        .persist()
        .post(/.*/)
        .reply(200, (_uri, requestBody) => {
          calls++;
          answers.push(JSON.stringify(decode(requestBody)));
          return 'ok';
        });
    },
  });
  const { services } = t.app;
  const workspace = await services.workspaces.ensure('slack', TEAM, { name: 'Acme' });
  /** Waits until the work that follows an acknowledgement has stopped calling Slack. */
  const quiet = async () => {
    let seen = -1;
    while (seen !== calls) {
      seen = calls;
      await new Promise((r) => setTimeout(r, 120));
    }
  };
  const ok = async (res: Promise<{ status: number; text: string }>) => {
    const { status, text } = await res;
    if (status !== 200) throw new Error(`Slack request failed: ${status} ${text}`);
    await quiet();
  };
  const command = (person: Person, text: string) =>
    ok(t.command(text, { user_id: slackId(person), user_name: person }));
  const click = (person: Person, action_id: string, value: string, select = false) =>
    ok(
      t.interaction(
        blockAction(user(person), select ? { action_id, selected: value } : { action_id, value }),
      ),
    );
  const stageRef = (stage: string) => {
    const journey = DEFAULT_JOURNEYS.find((j) => j.stages.some((s) => s.key === stage));
    return `${journey?.key ?? ''}/${stage}`;
  };
  return {
    name: 'slack',
    setUp: async () => {
      const cast: Cast = {
        ...SAMPLE_CAST,
        members: SAMPLE_CAST.members.map((m) => ({ ...m, handle: slackId(m.handle as Person) })),
        channels: { triage: TRIAGE, council: COUNCIL, leaders: LEADERS },
      };
      await applyCast(services, workspace, cast);
    },
    report: (person, text) => command(person, text),
    support: (person, n) => click(person, ACTIONS.support, String(n)),
    triage: (person, n, change) =>
      'severity' in change
        ? click(person, ACTIONS.setSeverity, `${n}:${change.severity}`, true)
        : click(person, ACTIONS.setStage, `${n}:${stageRef(change.stage)}`, true),
    propose: (person, numbers) => click(person, ACTIONS.councilPropose, numbers.join(',')),
    vote: (person, vote, choice) => click(person, ACTIONS.councilBallot, `${vote}:${choice}`),
    settle: async () => {
      await services.council.refresher.flush();
      await quiet();
    },
    assign: (person, i, owner, date) =>
      command(person, `improvement assign I-${i} <@${slackId(owner)}> ${date}`),
    accept: (person, i) => click(person, ACTIONS.improvementAccept, String(i)),
    done: (person, i, what) => command(person, `improvement update I-${i} done "${what}"`),
    answerFixed: (person, i, answer) =>
      click(
        person,
        answer === 'yes' ? ACTIONS.improvementFixedYes : ACTIONS.improvementFixedNo,
        String(i),
      ),
    digest: async (person) => {
      const before = answers.length;
      await command(person, 'digest');
      return answers.slice(before).join('\n');
    },
    result: () => ({
      store: services.store,
      workspaceId: workspace.id,
      ids: new Map<string, string>([
        ...PEOPLE.map((p) => [slackId(p), p] as const),
        [TRIAGE, 'triage'],
        [COUNCIL, 'council'],
        [LEADERS, 'leaders'],
      ]),
    }),
    stop: () => t.stop(),
  };
}
