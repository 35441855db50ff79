import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/conversation/commands.js';
import { GRAMMAR, grammarHelpView } from '../../src/conversation/help.js';
import { channel, person } from '../../src/views/tokens.js';

/** A usage line of the help as someone would type it: placeholders filled, options picked. */
function sample(usage: string): string {
  return usage
    .replace(/\[[^\]]*\]/g, '')
    .replace(/<[^>]+>/g, 'it takes too long')
    .replace(/\b1-4\b/, '2')
    .replace(/(\S+\|)+(\S+)/g, (m) => m.split('|')[0]!)
    .replace(/@(\w+)/g, (_m, name: string) => person(name))
    .replace(/#(\w+)/g, (_m, name: string) => channel(name))
    .replace(/…/g, 'on')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('help generated from the grammar', () => {
  const entries = GRAMMAR.flatMap((s) => s.entries);

  it.each(entries.map((e) => [e.usage]))(
    '"%s" is a command of the grammar, not a report',
    (usage) => {
      const command = parseCommand(sample(usage));
      // `report …` and `anon …` are reports by design; nothing else may fall through to one.
      if (!/^(report|anon) </.test(usage)) expect(command.kind).not.toBe('report');
      expect(command.kind).not.toBe('form');
    },
  );

  it('lists every command with the channel prefix', () => {
    const text = (view: ReturnType<typeof grammarHelpView>) =>
      view.blocks.map((b) => ('text' in b ? b.text : '')).join('\n');
    const slack = text(grammarHelpView({ prefix: '/pebble' }));
    const console = text(grammarHelpView());
    for (const entry of entries) {
      expect(slack).toContain(`\`/pebble ${entry.usage}\``);
      expect(console).toContain(`\`${entry.usage}\``);
    }
    expect(console).not.toContain('/pebble');
  });

  it('adds the lines a channel has of its own', () => {
    const view = grammarHelpView({ extra: [{ section: 'Console', lines: ['• `advance 2d`'] }] });
    expect(view.blocks.at(-1)).toEqual({ type: 'section', text: '*Console*\n• `advance 2d`' });
  });
});
