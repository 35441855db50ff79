import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';
import { unzipSync, zipSync } from 'fflate';

export const MANIFEST_DIR = new URL('../../manifests/teams/', import.meta.url);

/** The values the manifest template leaves open, with the environment variable of each. */
export const PLACEHOLDERS = {
  MICROSOFT_APP_ID: 'MICROSOFT_APP_ID',
  TEAMS_APP_ID: 'TEAMS_APP_ID',
  TEAMS_BOT_DOMAIN: 'TEAMS_BOT_DOMAIN',
  APP_VERSION: 'TEAMS_APP_VERSION',
  TEAMS_WEBSITE_URL: 'TEAMS_WEBSITE_URL',
  TEAMS_PRIVACY_URL: 'TEAMS_PRIVACY_URL',
  TEAMS_TERMS_URL: 'TEAMS_TERMS_URL',
} as const;
export type Placeholder = keyof typeof PLACEHOLDERS;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Placeholder values from the environment, with defaults where one is sensible. */
export function valuesFromEnv(
  env: NodeJS.ProcessEnv,
  version: string,
): Record<Placeholder, string> {
  const appId = env.MICROSOFT_APP_ID ?? '';
  const problems: string[] = [];
  if (!GUID.test(appId)) problems.push('MICROSOFT_APP_ID must be the Azure Bot app id (a GUID)');
  const teamsAppId = env.TEAMS_APP_ID ?? appId;
  if (!GUID.test(teamsAppId))
    problems.push('TEAMS_APP_ID must be a GUID (defaults to MICROSOFT_APP_ID)');
  const domain = env.TEAMS_BOT_DOMAIN ?? '';
  if (!/^[a-z0-9.-]+(:\d+)?$/i.test(domain))
    problems.push(
      'TEAMS_BOT_DOMAIN must be the host name the bot is reached at (e.g. pebblebot.example.com)',
    );
  if (problems.length)
    throw new Error(`Cannot fill the Teams manifest:\n- ${problems.join('\n- ')}`);
  const site = env.TEAMS_WEBSITE_URL ?? `https://${domain}`;
  return {
    MICROSOFT_APP_ID: appId,
    TEAMS_APP_ID: teamsAppId,
    TEAMS_BOT_DOMAIN: domain,
    APP_VERSION: env.TEAMS_APP_VERSION ?? version,
    TEAMS_WEBSITE_URL: site,
    TEAMS_PRIVACY_URL: env.TEAMS_PRIVACY_URL ?? `${site}/privacy`,
    TEAMS_TERMS_URL: env.TEAMS_TERMS_URL ?? `${site}/terms`,
  };
}

/** The manifest template with every `{{NAME}}` replaced (JSON-escaped); unknown names fail. */
export function fillManifest(template: string, values: Record<Placeholder, string>): AppManifest {
  const filled = template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`Unknown placeholder {{${name}}} in the Teams manifest`);
    return JSON.stringify(values[name as Placeholder]).slice(1, -1);
  });
  return JSON.parse(filled) as AppManifest;
}

/** Width, height and whether the PNG has an alpha channel (from its IHDR chunk). */
export function pngInfo(png: Uint8Array): { width: number; height: number; alpha: boolean } {
  const buffer = Buffer.from(png);
  if (buffer.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG');
  const colourType = buffer[25];
  return {
    width: buffer.readUInt32BE(16),
    height: buffer.readUInt32BE(20),
    alpha: colourType === 4 || colourType === 6,
  };
}

/** Everything wrong with a Teams app package's manifest and icons (empty when installable). */
export async function packageProblems(files: Record<string, Uint8Array>): Promise<string[]> {
  const problems: string[] = [];
  const manifestFile = files['manifest.json'];
  if (!manifestFile) return ['manifest.json is missing at the root of the package'];
  const manifest = JSON.parse(Buffer.from(manifestFile).toString('utf8')) as AppManifest & {
    icons: { color: string; outline: string };
  };
  problems.push(...(await AppManifestUtils.validateAgainstSchema(manifest)));
  const color = files[manifest.icons.color];
  const outline = files[manifest.icons.outline];
  if (!color) problems.push(`colour icon ${manifest.icons.color} is missing`);
  else {
    const info = pngInfo(color);
    if (info.width !== 192 || info.height !== 192) problems.push('colour icon must be 192x192');
  }
  if (!outline) problems.push(`outline icon ${manifest.icons.outline} is missing`);
  else {
    const info = pngInfo(outline);
    if (info.width !== 32 || info.height !== 32) problems.push('outline icon must be 32x32');
    if (!info.alpha) problems.push('outline icon must have a transparent background');
    else if (!transparentCorner(outline))
      problems.push('outline icon background must be transparent');
  }
  return problems;
}

/** True when the top-left pixel of an 8-bit RGBA PNG is fully transparent (its background). */
function transparentCorner(png: Uint8Array): boolean {
  const buffer = Buffer.from(png);
  if (buffer[24] !== 8 || buffer[25] !== 6) return false;
  const idat: Buffer[] = [];
  for (let at = 8; at < buffer.length;) {
    const length = buffer.readUInt32BE(at);
    if (buffer.toString('latin1', at + 4, at + 8) === 'IDAT')
      idat.push(buffer.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  // Byte 0 of a scanline is its filter; every filter leaves the first pixel of the first row as is.
  return inflateSync(Buffer.concat(idat))[4] === 0;
}

/** The files of the package: the filled manifest and the two icons. */
export function buildPackage(values: Record<Placeholder, string>): Record<string, Uint8Array> {
  const template = readFileSync(new URL('manifest.json', MANIFEST_DIR), 'utf8');
  const manifest = fillManifest(template, values);
  return {
    'manifest.json': Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`),
    'color.png': readFileSync(new URL('color.png', MANIFEST_DIR)),
    'outline.png': readFileSync(new URL('outline.png', MANIFEST_DIR)),
  };
}

export function zip(files: Record<string, Uint8Array>): Uint8Array {
  return zipSync(files, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') });
}

export function unzip(data: Uint8Array): Record<string, Uint8Array> {
  return unzipSync(data);
}
