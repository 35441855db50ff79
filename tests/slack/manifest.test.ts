import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { listenerIds } from '../../src/slack/listeners/index.js';
import { BOT_SCOPES, REDIRECT_PATH } from '../../src/slack/oauth/install-routes.js';
import { INSTALL_EVENTS } from '../../src/slack/oauth/uninstall.js';
import { ROOT } from '../helpers/run-cli.js';
import { FIXTURES } from './harness.js';

// The manifest and schemas are read as plain JSON.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Json;
const manifest = read(path.join(ROOT, 'manifests/slack/manifest.json'));
const schemas = path.join(FIXTURES, 'schemas');

/**
 * The official router schema (manifest.schema.json) picks the versioned schema by
 * `_metadata.major_version` and refers to it by URL; the same files are here, offline, so
 * they are registered under those URLs.
 */
function validator() {
  // NOTE: the schemas use a non-standard `regex` keyword and loose unions: strict mode off.
  const ajv = new Ajv({ strict: false, allErrors: true });
  const base = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas';
  ajv.addSchema(
    read(path.join(schemas, 'manifest.schema.1.0.0.json')),
    `${base}/manifest.schema.1.0.0.json`,
  );
  ajv.addSchema(
    read(path.join(schemas, 'manifest.schema.2.0.0.json')),
    `${base}/manifest.schema.2.0.0.json`,
  );
  return ajv.compile(read(path.join(schemas, 'manifest.schema.json')));
}

describe('Slack app manifest', () => {
  it('is valid against the official manifest schema (v1, through the router)', () => {
    const validate = validator();
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(manifest._metadata.major_version).toBe(1);
  });

  it('is rejected by the schema when broken (the validation is real)', () => {
    const validate = validator();
    expect(validate({ ...manifest, display_information: { name: '' } })).toBe(false);
    expect(
      validate({ ...manifest, features: { ...manifest.features, shortcuts: [{ name: 'x' }] } }),
    ).toBe(false);
  });

  it('declares exactly the commands, shortcuts and events Pebblebot listens to', () => {
    const ids = listenerIds();
    const commands = manifest.features.slash_commands.map((c: { command: string }) => c.command);
    const shortcuts = manifest.features.shortcuts.map(
      (s: { callback_id: string }) => s.callback_id,
    );
    const events = manifest.settings.event_subscriptions.bot_events as string[];
    expect([...commands].sort()).toEqual([...ids.commands].sort());
    expect([...shortcuts].sort()).toEqual([...ids.shortcuts].sort());
    // The install events are listened to by the OAuth channel (src/slack/oauth/uninstall.ts).
    expect([...events].sort()).toEqual([...ids.events, ...INSTALL_EVENTS].sort());
  });

  it('can be installed in many workspaces and org-wide: redirect URL, scopes, install events', () => {
    const redirects = manifest.oauth_config.redirect_urls as string[];
    expect(redirects.map((u) => new URL(u).pathname)).toEqual([REDIRECT_PATH]);
    // /slack/install asks for exactly the scopes the manifest declares.
    expect([...(manifest.oauth_config.scopes.bot as string[])].sort()).toEqual(
      [...BOT_SCOPES].sort(),
    );
    expect(manifest.settings.org_deploy_enabled).toBe(true);
    for (const event of INSTALL_EVENTS)
      expect(manifest.settings.event_subscriptions.bot_events).toContain(event);
  });

  it('enables what the listeners need: interactivity, App Home, the bot scopes', () => {
    const ids = listenerIds();
    expect(manifest.settings.interactivity.is_enabled).toBe(
      ids.actions.length + ids.views.length > 0,
    );
    expect(manifest.features.app_home.home_tab_enabled).toBe(
      ids.events.includes('app_home_opened'),
    );
    const scopes = new Set<string>(manifest.oauth_config.scopes.bot);
    const needs: Record<string, string[]> = {
      app_mention: ['app_mentions:read'],
      reaction_added: ['reactions:read', 'channels:history', 'groups:history'],
      member_joined_channel: ['channels:read', 'groups:read'],
    };
    for (const event of ids.events)
      for (const scope of needs[event] ?? []) expect(scopes).toContain(scope);
    for (const scope of ['commands', 'chat:write', 'users:read', 'channels:join'])
      expect(scopes).toContain(scope);
    const urls = [
      ...manifest.features.slash_commands.map((c: { url: string }) => c.url),
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
    ];
    for (const url of urls) expect(new URL(url).pathname).toBe('/slack/events');
  });

  it('gives the menus that search as people type an options URL: the interactivity URL', () => {
    const ids = listenerIds();
    expect(ids.options.length).toBeGreaterThan(0);
    // The manifest names Slack's "Options Load URL" message_menu_options_url.
    const { interactivity } = manifest.settings;
    expect(interactivity.message_menu_options_url).toBe(interactivity.request_url);
    expect(new URL(interactivity.message_menu_options_url as string).pathname).toBe(
      '/slack/events',
    );
  });
});
