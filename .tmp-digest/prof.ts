import { openEmbeddedStore } from '../src/store/nedb/nedb.store.js';
import type { Datastore } from '../src/store/nedb/datastore.js';
import { DigestMetricsCalculator } from '../src/core/metrics/digest-metrics.js';
import { completedPeriod } from '../src/core/digest/period.js';
import { defaultSettings } from '../src/core/workspaces/workspace.model.js';
const store = await openEmbeddedStore();
const db = (store.pebbles as unknown as { db: Datastore }).db;
const NOW = new Date('2026-03-30T07:00:00Z');
const docs = [];
for (let n = 1; n <= 100000; n++) {
  const at = new Date(NOW.getTime() - 104*7*86400000 + n * 6000 * 1000);
  docs.push({ workspaceId: 'ws', number: n, title: 't'+n, description: 'A sentence or two about what got in the way, as people write them.', stakeholder: 'customer', journey: 'customer', stage: 'buy', status: 'resolved', anonymous: false, reporter: { userId: 'U'+(n%2000), name: 'Person', team: 'T' }, source: {kind:'slash'}, supporters: [{userId:'U1', team:'T', at}], supporterIds: ['U1'], supporterCount: 1, createdAt: at, updatedAt: at, history: [{at, actor:'U', action:'reported', to:'new'},{at, actor:'U', action:'status', from:'new', to:'triaged'},{at, actor:'U', action:'status', from:'triaged', to:'resolved'}] });
}
for (let i=0;i<docs.length;i+=5000) await db.insertAsync(docs.slice(i,i+5000));
docs.length = 0;
global.gc?.();
console.log('heap MB', Math.round(process.memoryUsage().heapUsed/1048576), 'rss', Math.round(process.memoryUsage().rss/1048576));
const base = store.metrics as any;
const origOpen = base.open.bind(base);
base.open = async (ws: string) => {
  let t = performance.now();
  const view = await origOpen(ws);
  console.log('open', Math.round(performance.now()-t));
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(view))) {
    if (name === 'constructor' || typeof view[name] !== 'function') continue;
    const orig = view[name].bind(view);
    view[name] = (...a: unknown[]) => { const t = performance.now(); const r = orig(...a); console.log(name, Math.round(performance.now()-t), 'ms'); return r; };
  }
  return view;
};
const settings = { ...defaultSettings(), timezone: 'Europe/Berlin' };
const period = completedPeriod(NOW, settings.digest, settings.timezone);
let t = performance.now();
await new DigestMetricsCalculator(store.metrics).compute('ws', settings, period);
console.log('total', Math.round(performance.now()-t));
t = performance.now(); const all = db.getAllData(); console.log('getAllData', Math.round(performance.now()-t), all.length);
t = performance.now(); all.filter((d: any) => d.workspaceId === 'ws'); console.log('filter', Math.round(performance.now()-t));
{
const from = period.start, to = period.end; const f = from.getTime(), tt = to.getTime();
let t0 = performance.now(); let c = 0;
for (const d of all as any[]) { if (d.createdAt >= from && d.createdAt < to) c++; } console.log('date cmp', Math.round(performance.now()-t0), c);
t0 = performance.now(); c = 0;
for (const d of all as any[]) { const x = d.createdAt.getTime(); if (x >= f && x < tt) c++; } console.log('num cmp', Math.round(performance.now()-t0), c);
t0 = performance.now(); c = 0;
for (const d of all as any[]) { if (d.workspaceId === 'ws') c++; } console.log('ws only', Math.round(performance.now()-t0), c);
t0 = performance.now(); c = 0;
for (const d of all as any[]) { for (const h of d.history) { const x = h.at.getTime(); if (x >= f && x < tt) c++; } } console.log('history num', Math.round(performance.now()-t0), c);
}
