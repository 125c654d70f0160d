// predictwire.js against a server that asks its WebSockets to go, as a fleet's servers do:
// draining on SIGTERM (`serve --drain-delay`: readiness off, serving on for the delay, then
// Close 1001 once the answers in flight are sent) and aging connections out
// (`serve --max-connection-age`: Close 1001 past the age, after the answers in flight). The
// client reconnects and sends again what was unanswered: nothing is lost, nothing answered twice.

import assert from 'node:assert/strict';
import {afterEach, describe, it} from 'node:test';

import WebSocket from 'ws';

import {connect} from '../predictwire.js';
import {Server} from './support/server.js';

const tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const BACKOFF = {initialMs: 100, multiplier: 1.6, jitter: 0.2, maxMs: 1000, minConnectTimeoutMs: 2000};

const clients = new Set();
afterEach(() => {
  for (const c of clients) c.close();
  clients.clear();
});

// Streams requests of distinct features ([i, 0.5]: the sum model answers i + 0.5), `perTick`
// every 5 ms, until stop() is called; records how each settled, and how often.
function stream(c, perTick = 5) {
  const outcomes = [];
  let i = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < perTick; ++k, ++i) {
      const outcome = {i, settled: 0};
      outcomes.push(outcome);
      c.predict([i, 0.5]).then((answer) => {
        ++outcome.settled;
        outcome.value = Number(answer.predictions[0]);
      }, (error) => {
        ++outcome.settled;
        outcome.error = error;
      });
    }
  }, 5);
  return {outcomes, stop: () => clearInterval(timer)};
}

async function assertAllAnswered(outcomes, what) {
  const deadline = Date.now() + 30000;
  while (outcomes.some((o) => o.settled === 0) && Date.now() < deadline) await tick(10);
  await tick(50);
  const errors = outcomes.filter((o) => o.error);
  assert.equal(errors.length, 0, `${what}: ${errors.length} of ${outcomes.length} failed, the first: ${errors[0]?.error}`);
  for (const o of outcomes) {
    assert.equal(o.settled, 1, `${what}: request ${o.i} settled ${o.settled} times`);
    assert.equal(o.value, o.i + 0.5, `${what}: request ${o.i} got another's answer`);
  }
}

function recordEvents(c) {
  const events = [];
  for (const name of ['open', 'close', 'reconnecting']) {
    c.on(name, (event) => events.push({name, code: event.code, at: Date.now()}));
  }
  return events;
}

describe('a draining server (serve --drain-delay)', () => {
  it('answers through the delay, then Close 1001; the client moves to the next server and loses nothing', async () => {
    for (const wire of ['ws', 'ws-binary']) {
      const server = await new Server(['--model', 'sum=sleep:20ms,batch=8192', '--drain-delay', '1s']).start();
      try {
        const c = connect(server.url, {wire, WebSocket, backoff: BACKOFF, timeoutMs: 20000});
        clients.add(c);
        const events = recordEvents(c);
        await c.opened();
        const {outcomes, stop} = stream(c);
        await tick(500);
        const terminated = Date.now();
        const stopped = server.stop('SIGTERM');
        await tick(300);
        const ready = await fetch(`${server.url}/v2/health/ready`).then((r) => r.status, () => 'refused');
        assert.notEqual(ready, 200, 'readiness is off while draining');
        const answeredDuringDelay = c.stats.answered;
        await tick(400);
        assert.ok(c.stats.answered > answeredDuringDelay, 'still answering during the delay');
        await stopped;
        await server.start();  // the next server, on the same port
        await tick(1000);
        stop();
        await assertAllAnswered(outcomes, `${wire} across a drain`);
        const close = events.find((event) => event.name === 'close');
        assert.ok(close, JSON.stringify(events));
        // Close 1001; or 1006 when the server closed the connection right after its Close frame
        // while requests were still arriving, and the client saw a reset first.
        assert.ok([1001, 1006].includes(close.code), JSON.stringify(close));
        assert.ok(close.at - terminated >= 900, `closed ${close.at - terminated} ms after SIGTERM, before the delay`);
        assert.ok(c.stats.reconnects >= 1);
        assert.equal(c.stats.settledTwice, 0);
        c.close();
      } finally {
        await server.stop();
      }
    }
  });
});

describe('connection aging (serve --max-connection-age)', () => {
  it('gets Close 1001 past the age, reconnects each time, and loses nothing', async () => {
    const server = await new Server(['--model', 'sum=sleep:5ms,batch=8192', '--max-connection-age', '300ms']).start();
    try {
      for (const wire of ['ws', 'ws-binary']) {
        const c = connect(server.url, {wire, WebSocket, backoff: BACKOFF, timeoutMs: 20000});
        clients.add(c);
        const events = recordEvents(c);
        await c.opened();
        const {outcomes, stop} = stream(c);
        // The server checks ages on its once-a-second sweep: a 300 ms age ends a connection
        // within about two seconds. Stream until three connections have gone (at most 30 s).
        const closed = () => events.filter((event) => event.name === 'close').length;
        for (const until = Date.now() + 30000; closed() < 3 && Date.now() < until;) await tick(100);
        stop();
        await assertAllAnswered(outcomes, `${wire} through connection aging`);
        const closes = events.filter((event) => event.name === 'close');
        assert.ok(closes.length >= 3, JSON.stringify(events));
        assert.ok(closes.every((event) => [1001, 1006].includes(event.code)), JSON.stringify(closes));
        assert.ok(c.stats.reconnects >= 3, JSON.stringify(c.stats));
        assert.equal(c.stats.settledTwice, 0);
        c.close();
      }
    } finally {
      await server.stop();
    }
  });
});
