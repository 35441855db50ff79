/**
 * Socket Mode: a loopback WebSocket server plays Slack. It delivers `--envelopes` @mention
 * events (each reports one pebble) to Pebblebot connected in Socket Mode, keeping at most
 * `--window` unacknowledged at a time, drops the connection halfway, and once Pebblebot has
 * reconnected by itself (apps.connections.open again) redelivers what was not acknowledged
 * plus `--redeliver` events that were (Slack retries an event it believes lost, same event_id,
 * retry_attempt 1). Prints whether every envelope was acknowledged, whether every event was
 * processed exactly once (pebbles stored = distinct events), the reconnection time and the
 * throughput.
 *
 *   npm run bench:socket -- [--envelopes 10000] [--window 100] [--redeliver 100]
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  BOT_USER,
  commandLine,
  loadAverage,
  machine,
  mb,
  runWorkerRole,
  startFakes,
  startPebblebot,
  TEAM,
} from './kit.js';

const SCRIPT = import.meta.url;

function mention(i: number) {
  const ts = `1700000000.${String(i).padStart(6, '0')}`;
  return {
    token: 'legacy',
    team_id: TEAM,
    api_app_id: 'A0BENCH',
    type: 'event_callback',
    event_id: `EvSOCK${String(i).padStart(8, '0')}`,
    event_time: 1700000000 + i,
    authorizations: [{ team_id: TEAM, user_id: BOT_USER, is_bot: true }],
    event: {
      type: 'app_mention',
      user: `U0USER${i % 40}`,
      text: `<@${BOT_USER}> The badge reader fails at door ${i}`,
      channel: `C0CHAN${i % 10}`,
      ts,
      event_ts: ts,
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      envelopes: { type: 'string', default: '10000' },
      window: { type: 'string', default: '100' },
      redeliver: { type: 'string', default: '100' },
    },
  });
  const total = Number(values.envelopes);
  const window = Math.max(1, Number(values.window));
  const redeliver = Number(values.redeliver);
  console.log(`$ ${commandLine('bench:socket')}`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${loadAverage()}`);

  // The Socket Mode server: hello on each connection, then envelopes; collects the acks.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  let socket: WebSocket | undefined;
  let connections = 0;
  let connected: () => void = () => undefined;
  const acked = new Set<string>();
  let ackCount = 0;
  let unknownAcks = 0;
  const pending = new Map<string, number>(); // envelope id -> event number
  let drained: () => void = () => undefined;
  // Envelopes a closed connection took with it, delivered again on the next one.
  const requeued: number[] = [];
  wss.on('connection', (ws) => {
    socket = ws;
    connections++;
    // NOTE: Slack pings every few seconds; a client that hears nothing for 30 s reconnects.
    const ping = setInterval(() => ws.ping(), 5_000);
    ws.on('close', () => {
      clearInterval(ping);
      if (socket !== ws) return;
      requeued.push(...pending.values());
      pending.clear();
    });
    ws.on('message', (data: Buffer) => {
      const { envelope_id: id } = JSON.parse(data.toString()) as { envelope_id?: string };
      if (!id || !pending.has(id)) {
        unknownAcks++;
        return;
      }
      pending.delete(id);
      acked.add(id);
      ackCount++;
      if (pending.size < window) drained();
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'bench' } }));
    connected();
  });
  const waitConnected = () =>
    new Promise<void>((resolve) => {
      if (socket?.readyState === 1) resolve();
      else connected = resolve;
    });

  const fakes = await startFakes(SCRIPT, url);
  const bot = await startPebblebot(fakes, { socketMode: true, pebbles: 0 });
  const before = await bot.pebbleCount();
  await waitConnected();

  let sequence = 0;
  const deliver = (i: number, retry = 0) => {
    const id = `env-${++sequence}`;
    pending.set(id, i);
    socket!.send(
      JSON.stringify({
        envelope_id: id,
        type: 'events_api',
        payload: mention(i),
        accepts_response_payload: false,
        retry_attempt: retry,
        retry_reason: retry ? 'timeout' : '',
      }),
    );
  };
  const room = async () => {
    while (!socket || socket.readyState !== 1) await waitConnected();
    while (requeued.length > 0) deliver(requeued.shift()!, 1);
    while (pending.size >= window)
      await new Promise<void>((resolve) => {
        drained = resolve;
        setTimeout(resolve, 50);
      });
  };

  const started = performance.now();
  const half = Math.floor(total / 2);
  for (let i = 0; i < half; i++) {
    await room();
    deliver(i);
  }
  // Slack drops the connection (a deploy, a refresh): what is unacknowledged is lost with it.
  const lost = [...pending.values()];
  pending.clear();
  const dropped = performance.now();
  const old = socket!;
  socket = undefined;
  old.terminate();
  await waitConnected();
  const reconnectMs = performance.now() - dropped;
  // Slack redelivers what it did not see acknowledged, and (as it may) some events it did.
  requeued.push(...lost);
  for (let i = Math.max(0, half - redeliver); i < half; i++) {
    await room();
    deliver(i, 1);
  }
  for (let i = half; i < total; i++) {
    await room();
    deliver(i);
  }
  // Waits while acknowledgements keep coming (a minute without one ends the wait).
  let lastProgress = performance.now();
  let seen = ackCount;
  while ((pending.size > 0 || requeued.length > 0) && performance.now() - lastProgress < 60_000) {
    await room();
    await new Promise((r) => setTimeout(r, 50));
    if (ackCount !== seen) [seen, lastProgress] = [ackCount, performance.now()];
  }
  const ackedAllMs = performance.now() - started;
  // Each mention is stored before its ack; wait for the last ones to settle, then count.
  let stored = (await bot.pebbleCount()) - before;
  const settle = performance.now() + 120_000;
  while (stored < total && performance.now() < settle) {
    await new Promise((r) => setTimeout(r, 200));
    stored = (await bot.pebbleCount()) - before;
  }
  await new Promise((r) => setTimeout(r, 1_000));
  stored = (await bot.pebbleCount()) - before;
  const sent = sequence;
  const unacked = sent - acked.size;
  const allAcked = pending.size === 0 && requeued.length === 0;
  const exactlyOnce = stored === total;
  console.log(
    `\n${sent} envelopes delivered for ${total} distinct @mention events ` +
      `(${lost.length} in flight when the server dropped the connection, ${Math.min(redeliver, half)} redelivered after their ack)`,
  );
  console.log(
    `acknowledged: ${ackCount} envelopes; ${unacked} went down with a closed connection and were delivered again; ` +
      `${pending.size + requeued.length} left unacknowledged; ${unknownAcks} unknown acks ` +
      `(${allAcked ? 'every event acknowledged' : 'NOT every event acknowledged'})`,
  );
  console.log(
    `processed: ${stored} pebbles for ${total} events (${exactlyOnce ? 'each exactly once' : 'NOT exactly once'})`,
  );
  console.log(
    `reconnected by itself in ${reconnectMs.toFixed(0)} ms after the server dropped the connection ` +
      `(${connections} connections in all)`,
  );
  console.log(
    `throughput: ${((ackCount / ackedAllMs) * 1000).toFixed(0)} envelopes acknowledged per second; ` +
      `RSS ${mb(process.memoryUsage().rss)}`,
  );
  console.log(`load average at the end (1/5/15 min): ${loadAverage()}`);
  await bot.stop();
  fakes.stop();
  wss.close();
  process.exitCode = allAcked && exactlyOnce && connections >= 2 ? 0 : 1;
  if (connections > 2) console.log(`(${connections - 2} more reconnections than the one provoked)`);
}

if (!runWorkerRole()) {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
