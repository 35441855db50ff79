/**
 * `npm run teams:package`: fills manifests/teams/manifest.json from the environment
 * (MICROSOFT_APP_ID, TEAMS_BOT_DOMAIN; optional TEAMS_APP_ID, TEAMS_APP_VERSION,
 * TEAMS_WEBSITE_URL, TEAMS_PRIVACY_URL, TEAMS_TERMS_URL), writes the app package to
 * dist/teams/pebblebot-teams.zip (or TEAMS_PACKAGE_OUT) and validates the written zip
 * offline against the manifest schema, with its icons.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildPackage, packageProblems, unzip, valuesFromEnv, zip } from './teams-package.js';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

try {
  const out = path.resolve(process.env.TEAMS_PACKAGE_OUT ?? 'dist/teams/pebblebot-teams.zip');
  const files = buildPackage(valuesFromEnv(process.env, version));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, zip(files));
  const problems = await packageProblems(unzip(readFileSync(out)));
  if (problems.length) {
    console.error(`The Teams package ${out} is not valid:\n- ${problems.join('\n- ')}`);
    process.exitCode = 1;
  } else
    console.log(
      `Wrote ${out} (valid: manifest schema and icons). Upload it in Teams: Apps → Manage your apps → Upload an app.`,
    );
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
