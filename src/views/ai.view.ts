import type { AiUsage } from '../core/ai/ai.model.js';
import type { MessageView } from '../core/ports/message-view.port.js';

export interface AiSettingsViewInput {
  /** The workspace switch (`config ai on|off`). */
  enabled: boolean;
  /** Set when this request switched it. */
  changed?: boolean;
  /** Present when the installation has an AI key: the models and today's usage. */
  configured?: { model: string; embeddingModel: string; usage: AiUsage };
  /** How commands are written in examples (`/pebble`, or nothing in the console). */
  prefix: string;
}

const n = (x: number) => x.toLocaleString('en-US');

/** The admin's view of AI: the switch, which models, and today's calls and tokens vs the caps. */
export function aiSettingsView(input: AiSettingsViewInput): MessageView {
  const { enabled, changed, configured } = input;
  const cmd = (t: string) => `\`${input.prefix ? `${input.prefix} ` : ''}${t}\``;
  const lines: string[] = [];
  if (changed !== undefined)
    lines.push(
      changed
        ? ':white_check_mark: AI is now on for this workspace (recorded in the audit log).'
        : ':white_check_mark: AI is now off for this workspace (recorded in the audit log): nothing about it is sent to the AI provider.',
    );
  lines.push(`*AI for this workspace: ${enabled ? 'on' : 'off'}*`);
  if (!configured) {
    lines.push(
      '• No AI provider is configured for this installation (no `OPENAI_API_KEY`): nothing is ever sent, and Pebblebot works without it.',
    );
  } else {
    const u = configured.usage;
    lines.push(
      `• Models: ${configured.model} (triage suggestions, theme names, digest narrative), ${configured.embeddingModel} (similar pebbles, recurrences, themes)`,
      `• Today (${u.day}, UTC): ${n(u.calls)} of ${n(u.maxCalls)} calls, ${n(u.tokens)} of ${n(u.maxTokens)} tokens`,
    );
    if (u.calls >= u.maxCalls || u.tokens >= u.maxTokens)
      lines.push('• The daily cap is reached: AI rests until tomorrow (UTC).');
  }
  lines.push(
    enabled
      ? `• ${cmd('config ai off')} switches it off: no request about this workspace leaves then.`
      : `• ${cmd('config ai on')} switches it on: triage suggestions, "it came back?" flags by meaning, themes in the digest.`,
  );
  const text = lines.join('\n');
  return {
    text: `AI for this workspace: ${enabled ? 'on' : 'off'}`,
    blocks: [
      { type: 'section', text },
      {
        type: 'context',
        text: 'AI only ever suggests: nothing it says is applied until a person accepts it. Who reported, supported or voted is never sent.',
      },
    ],
  };
}
