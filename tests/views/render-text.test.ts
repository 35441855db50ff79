import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/console/render-text.js';
import type { Pebble } from '../../src/core/pebbles/pebble.model.js';
import { defaultSettings } from '../../src/core/workspaces/workspace.model.js';
import { confirmationView, pebbleListView, pebbleView } from '../../src/views/pebble.view.js';

const base: Pebble = {
  id: 'x',
  workspaceId: 'console:local',
  number: 7,
  title: 'Checkout times out on mobile',
  description: 'Spins for 30 s.',
  stakeholder: 'customer',
  journey: 'customer',
  stage: 'buy',
  severity: 3,
  anonymous: true,
  reporter: { userId: 'U_SECRET', name: 'Secret Sam' },
  source: { kind: 'console' },
  status: 'triaged',
  supporters: [],
  supporterCount: 2,
  createdAt: new Date('2026-03-02T10:00:00Z'),
  updatedAt: new Date('2026-03-02T10:00:00Z'),
  history: [],
};

describe('text rendering of the pebble views', () => {
  it('reads times as times and shortcodes as emoji', () => {
    const text = renderText({
      text: 'quiet 19:00-08:00',
      blocks: [{ type: 'section', text: ':white_check_mark: quiet 19:00-08:00, :unknown: gone' }],
    });
    expect(text).toContain('✔ quiet 19:00-08:00,  gone');
  });

  it('renders one pebble and hides an anonymous reporter from others', () => {
    const text = renderText(pebbleView(base, defaultSettings(), { userId: 'U_OTHER' }));
    expect(text).toMatchSnapshot();
    expect(text).toContain('Reported by: Anonymous');
    expect(text).not.toContain('Secret Sam');
    expect(renderText(pebbleView(base, defaultSettings(), { userId: 'U_SECRET' }))).toContain(
      'Reported by: you (anonymous to others)',
    );
  });

  it('renders a list page and a confirmation', () => {
    const list = renderText(
      pebbleListView(
        {
          items: [
            base,
            { ...base, number: 8, title: 'Second', stage: undefined, severity: undefined },
          ],
          total: 2,
          offset: 0,
          limit: 20,
        },
        defaultSettings(),
        { title: 'Open pebbles' },
      ),
    );
    expect(list).toMatchSnapshot();
    const confirmation = renderText(
      confirmationView({ ...base, anonymous: false }, [
        { pebble: { ...base, number: 3 }, score: 0.8 },
      ]),
    );
    expect(confirmation).toMatchSnapshot();
    expect(`${list}\n${confirmation}`).not.toContain('Secret Sam');
  });
});
