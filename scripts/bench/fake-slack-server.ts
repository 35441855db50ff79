/**
 * The loopback fake of the Slack Web API in a process of its own, so a benchmark measures
 * Pebblebot and not the fake. Prints `{"url": …}` when listening; on SIGTERM prints what it
 * received (`{"messages": …, "calls": …}`) and exits. RATE_LIMITED: how many chat.postMessage
 * calls are answered 429 with Retry-After: 1 first.
 */
import { FakeSlackApi } from '../../tests/helpers/fake-slack-api.js';

let limited = 0;
const max = Number(process.env.RATE_LIMITED ?? 0);
const fake = new FakeSlackApi({
  reply: (method) =>
    method === 'chat.postMessage' && limited++ < max ? { status: 429, retryAfter: 1 } : 'ok',
});
const url = await fake.start();
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.on('SIGTERM', () => {
  const messages = fake.messages.map((m) => ({
    channel: m.channel,
    key: m.metadata?.event_payload.key,
  }));
  const calls = fake.calls.filter((c) => c.method === 'chat.postMessage').length;
  process.stdout.write(`${JSON.stringify({ messages, calls })}\n`, () => {
    void fake.stop().then(() => process.exit(0));
  });
});
