import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-cli.js';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The V8 flags of a command line (`--name=value` before the script). */
const v8Flags = (args: string[]) => args.filter((a) => /^--max-[a-z-]+=\d+$/.test(a));

describe('the Node flags the bot runs with', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const start = v8Flags(scripts.start!.split(' '));

  it('start with a smaller young generation (docs/performance.md measures why)', () => {
    expect(start).toEqual(['--max-semi-space-size=8']);
  });

  it('are the same in the Docker image as in npm start', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))![1]!;
    expect(v8Flags(JSON.parse(cmd) as string[])).toEqual(start);
  });

  it('are the ones the benchmarks measure the bot with', () => {
    for (const bench of ['bench:load', 'bench:soak'])
      expect(v8Flags(scripts[bench]!.split(' '))).toEqual(start);
    const digest = /const BOT_NODE_FLAGS = (\[.*\]);/.exec(read('scripts/bench/digest.ts'))![1]!;
    expect(JSON.parse(digest.replaceAll("'", '"'))).toEqual(start);
  });
});
