import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRIVACY_DIR_ENV, scanPrivacy, type PrivacyRecord } from './helpers/privacy.js';

/**
 * Vitest global setup: opens the folder every test worker records into (the workers inherit
 * the variable), and once the whole run is over scans everything they recorded. A leak fails
 * the run (exit code 1) with each finding printed: where, whose identity, and an excerpt.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pebblebot-privacy-'));
  process.env[PRIVACY_DIR_ENV] = dir;
  return () => {
    const records: PrivacyRecord[] = [];
    for (const file of readdirSync(dir))
      for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n'))
        if (line) records.push(JSON.parse(line) as PrivacyRecord);
    rmSync(dir, { recursive: true, force: true });
    const findings = scanPrivacy(records);
    const registered = records.filter((r) => r.type === 'sensitive').length;
    const scanned = records.length - registered;
    if (findings.length === 0) {
      console.info(
        `privacy scan: ${scanned} outgoing payloads and log lines, ${registered} private identities, no leak`,
      );
      return;
    }
    console.error(`privacy scan: ${findings.length} leak(s) of a private identity`);
    for (const f of findings.slice(0, 50))
      console.error(`  ${f.file}: ${f.where} ${f.why} (${f.identity}): …${f.excerpt}…`);
    process.exitCode = 1;
  };
}
