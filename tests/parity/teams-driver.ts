import { SAMPLE_CAST, applyCast, type Cast } from '../../src/console/cast.js';
import type { FakeClock } from '../../src/core/shared/clock.port.js';
import { DEFAULT_JOURNEYS } from '../../src/core/workspaces/workspace.model.js';
import { selectInputId } from '../../src/teams/render-card.js';
import { ACTIONS } from '../../src/views/actions.js';
import {
  CHANNELS,
  PEOPLE as TEAMS_PEOPLE,
  TeamsDriver,
  WORKSPACE_ID,
} from '../teams/teams.driver.js';
import { PEOPLE, type ParityDriver, type Person } from './driver.js';

const teamsId = (person: Person) => TEAMS_PEOPLE[person].id;

/**
 * The story through Teams: activities signed with the loopback Bot Framework's key and POSTed
 * to `/api/messages` (real JWT validation), lines typed in personal chat, Action.Execute
 * invokes on the buttons and menus of the cards the bot sent, each by the person's Teams user.
 * Replies and proactive sends land at the loopback Bot Connector; the parity is in the store.
 */
export async function teamsDriver(clock: FakeClock): Promise<ParityDriver> {
  const t = await TeamsDriver.start({ clock });
  // A menu's choice comes back as the value of its input, as Teams sends an Input.ChoiceSet.
  const choose = (person: Person, verb: string, value: string) =>
    t.click(person, verb, undefined, 'triage', { [selectInputId(verb)]: value });
  const stageRef = (stage: string) => {
    const journey = DEFAULT_JOURNEYS.find((j) => j.stages.some((s) => s.key === stage));
    return `${journey?.key ?? ''}/${stage}`;
  };
  /** A click whose card answers; an error card from the bot fails the step. */
  const click = async (
    person: Person,
    verb: string,
    value: string,
    where: 'personal' | 'triage' | 'council',
  ) => {
    const answer = await t.click(person, verb, value, where);
    if (answer.statusCode !== 200)
      throw new Error(`Teams ${verb} failed: ${JSON.stringify(answer)}`);
    await t.settle();
  };
  return {
    name: 'teams',
    setUp: async () => {
      // Everyone installs the app and the bot joins the channels (their conversation references
      // are what proactive sends need), then the cast's roles are given as on every channel.
      await t.install();
      const workspace = await t.services.workspaces.ensure('teams', WORKSPACE_ID.slice(6));
      const cast: Cast = {
        ...SAMPLE_CAST,
        members: SAMPLE_CAST.members.map((m) => ({ ...m, handle: teamsId(m.handle as Person) })),
        channels: { triage: CHANNELS.triage, council: CHANNELS.council, leaders: CHANNELS.leaders },
      };
      await applyCast(t.services, workspace, cast);
    },
    report: async (person, text) => void (await t.report(person, text)),
    support: (person, n) => click(person, ACTIONS.support, String(n), 'triage'),
    triage: async (person, n, change) => {
      const answer =
        'severity' in change
          ? await choose(person, ACTIONS.setSeverity, `${n}:${change.severity}`)
          : await choose(person, ACTIONS.setStage, `${n}:${stageRef(change.stage)}`);
      if (answer.statusCode !== 200)
        throw new Error(`Teams triage failed: ${JSON.stringify(answer)}`);
      await t.settle();
    },
    propose: async (person, numbers) => void (await t.propose(person, ...numbers)),
    vote: (person, vote, choice) =>
      click(person, ACTIONS.councilBallot, `${vote}:${choice}`, 'council'),
    settle: () => t.settle(),
    assign: async (person, i, owner, date) => void (await t.assign(person, i, owner, date)),
    accept: (person, i) => click(person, ACTIONS.improvementAccept, String(i), 'personal'),
    done: async (person, i, what) => void (await t.done(person, i, what)),
    answerFixed: (person, i, answer) =>
      click(
        person,
        answer === 'yes' ? ACTIONS.improvementFixedYes : ACTIONS.improvementFixedNo,
        String(i),
        'personal',
      ),
    digest: (person) => t.say(person, 'digest'),
    result: () => ({
      store: t.store,
      workspaceId: WORKSPACE_ID,
      ids: new Map<string, string>([
        ...PEOPLE.map((p) => [teamsId(p), p] as const),
        [CHANNELS.triage, 'triage'],
        [CHANNELS.council, 'council'],
        [CHANNELS.leaders, 'leaders'],
      ]),
    }),
    stop: () => t.close(),
  };
}
