import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/run-cli.js';

const HERE = path.relative(ROOT, import.meta.filename);

// Built from pieces so this file does not flag itself.
const SHARED = ['shared', 'fixtures'].join('/');
/** A path climbing out of the repository's root folder. */
const FROM_ROOT = /\b(?:ROOT|process\.cwd\(\))\s*,\s*['"`]\.\.[/'"`]/;
/** Top-level folders of a machine, never of the repository: a literal starting with one is a path outside it. */
const MACHINE_ROOTS = /^(?:\/(?:work|home|Users|root|tmp|mnt|opt|srv|var|etc)\/|[A-Za-z]:\\)/;
const LITERAL = /(['"`])((?:(?!\1)[^\\\n]|\\.)*)\1/g;

/**
 * Why a source file would not run from a fresh clone with nothing beside it: it names the shared
 * folder, an absolute path of some machine, or a relative path that climbs out of the repository.
 */
function outsideReferences(file: string, source: string): string[] {
  const found: string[] = [];
  source.split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (line.includes(SHARED)) found.push(`${where} names ${SHARED}`);
    if (FROM_ROOT.test(line)) found.push(`${where} climbs out of the repository's root`);
    for (const [, , literal = ''] of line.matchAll(LITERAL)) {
      if (MACHINE_ROOTS.test(literal)) found.push(`${where} uses the absolute path ${literal}`);
      else if (literal.startsWith('../')) {
        const target = path.resolve(ROOT, path.dirname(file), literal);
        if (path.relative(ROOT, target).startsWith('..'))
          found.push(`${where} climbs out of the repository with ${literal}`);
      }
    }
  });
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(?:[cm]?[jt]s)$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

describe('the repository stands on its own', () => {
  it('has no test or source file that reads outside the repository', () => {
    const files = [
      ...sourceFiles('tests'),
      ...sourceFiles('src'),
      'vitest.config.ts',
      'eslint.config.js',
    ].filter((f) => f !== HERE);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) =>
      outsideReferences(f, readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(found).toEqual([]);
  });

  it('flags the references a fresh clone could not follow', () => {
    const file = 'tests/slack/harness.ts';
    expect(
      outsideReferences(file, "const F = path.resolve(ROOT, '../shared/fx/slack');"),
    ).toHaveLength(1);
    expect(outsideReferences(file, `// payloads from ${SHARED}/slack`)).toHaveLength(1);
    expect(outsideReferences(file, `readFileSync("/work/elsewhere/a.json")`)).toHaveLength(1);
    expect(outsideReferences(file, "import x from '../../../elsewhere/x.js';")).toHaveLength(1);
    expect(outsideReferences(file, "import { ROOT } from '../helpers/run-cli.js';")).toEqual([]);
    expect(outsideReferences(file, "import { x } from '../../src/core/shared/x.js';")).toEqual([]);
    expect(outsideReferences(file, "await fetch(`${url}/slack/events`, '/api/x');")).toEqual([]);
  });
});
