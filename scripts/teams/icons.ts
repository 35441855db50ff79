/**
 * Draws the Teams app icons (manifests/teams/color.png 192x192 and outline.png 32x32, white
 * on a transparent background) from SVG. Run once after changing the drawing:
 * `npx tsx scripts/teams/icons.ts`.
 */
import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

// A pebble: a rounded stone with a small highlight.
const pebble = (fill: string, stroke: string, size: number) => `
<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 32 32">
  <path d="M6 19c0-6 5-11 11-11s10 4 10 9-5 8-11 8S6 24 6 19z" fill="${fill}" stroke="${stroke}" stroke-width="1.6"/>
  <path d="M12 15c1.5-2 3.5-3 6-3" fill="none" stroke="${stroke}" stroke-width="1.6" stroke-linecap="round"/>
</svg>`;

const colour = `
<svg xmlns="http://www.w3.org/2000/svg" width="192" height="192" viewBox="0 0 192 192">
  <rect width="192" height="192" fill="#3D4A5C"/>
  <g transform="translate(32 32) scale(4)">
    <path d="M6 19c0-6 5-11 11-11s10 4 10 9-5 8-11 8S6 24 6 19z" fill="#C9D3DF"/>
    <path d="M12 15c1.5-2 3.5-3 6-3" fill="none" stroke="#FFFFFF" stroke-width="1.6" stroke-linecap="round"/>
  </g>
</svg>`;

const render = (svg: string) => new Resvg(svg, { background: 'rgba(0,0,0,0)' }).render().asPng();
const dir = new URL('../../manifests/teams/', import.meta.url);
writeFileSync(new URL('color.png', dir), render(colour));
writeFileSync(new URL('outline.png', dir), render(pebble('none', '#FFFFFF', 32)));
console.log('Wrote manifests/teams/color.png and outline.png');
