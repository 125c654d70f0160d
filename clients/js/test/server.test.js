// predictwire.js against the real `predictwire serve` (test/support/server.js), in Node with the
// ws package as its WebSocket: every wire, exact Float32Array values on the binary one, the
// server's errors typed, thousands of requests in flight across a restart and a kill -9 (each
// settled once, with its own answer), deadlines while the server is down, a frozen server's
// missing pong, fetch when a proxy refuses the upgrade, and Node's own (browser-like) WebSocket.

import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import {after, afterEach, before, describe, it} from 'node:test';

import WebSocket from 'ws';

import {ConnectionError, Code, PredictwireError, TimeoutError, connect} from '../predictwire.js';
import {Server} from './support/server.js';

const FAST = {initialMs: 100, multiplier: 1.6, jitter: 0.2, maxMs: 1000, minConnectTimeoutMs: 2000};
const WIRES = ['ws', 'ws-binary', 'fetch'];
const tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Every client a test opens is closed after it, failed or not: a client left open would keep
// reconnecting to a stopped server, and Node running.
const clients = new Set();
afterEach(() => {
  for (const c of clients) c.close();
  clients.clear();
});

function kept(c) {
  clients.add(c);
  return c;
}

function client(server, options = {}) {
  return kept(connect(server.url, {WebSocket, backoff: FAST, ...options}));
}

// Sends `count` requests of distinct features ([i, 0.5]: the sum model answers i + 0.5) and
// records how each settles, and how often: a promise that settled twice would show here.
function flood(c, count, options = {}, first = 0) {
  const outcomes = [];
  for (let i = first; i < first + count; ++i) {
    const outcome = {i, settled: 0};
    outcomes.push(outcome);
    c.predict([i, 0.5], options).then((answer) => {
      ++outcome.settled;
      outcome.value = Number(answer.predictions[0]);
    }, (error) => {
      ++outcome.settled;
      outcome.error = error;
    });
  }
  return outcomes;
}

async function settled(outcomes, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (outcomes.some((o) => o.settled === 0)) {
    if (Date.now() > deadline) {
      throw new Error(`${outcomes.filter((o) => o.settled === 0).length} of ${outcomes.length} never settled`);
    }
    await tick(10);
  }
  await tick(50);  // time for a second settlement, were there one
  return outcomes;
}

// Every request answered once, with its own answer.
function assertAllAnswered(outcomes, what) {
  const errors = outcomes.filter((o) => o.error);
  assert.equal(errors.length, 0, `${what}: ${errors.length} failed, the first: ${errors[0]?.error}`);
  for (const o of outcomes) {
    assert.equal(o.settled, 1, `${what}: request ${o.i} settled ${o.settled} times`);
    assert.equal(o.value, o.i + 0.5, `${what}: request ${o.i} got another's answer`);
  }
}

describe('every wire against the server', () => {
  let server;
  before(async () => {
    server = await new Server(['--model', 'sum=sleep:0', '--model', 'slow=sleep:600ms',
                               '--model', 'bc=xgboost:models/breast_cancer.json']).start();
  });
  after(() => server.stop());

  it('answers predictions and the server timing on each wire, and v2 infer', async () => {
    for (const wire of WIRES) {
      const c = client(server, {wire, model: 'sum'});
      const one = await c.predict([1, 2, 3.5]);
      assert.deepEqual(Array.from(one.predictions), [6.5], wire);
      assert.equal(one.wire, wire);
      assert.equal(typeof one.timing.queue_us, 'number');
      assert.equal(typeof one.timing.compute_us, 'number');
      assert.equal(wire === 'ws-binary' ? one.predictions instanceof Float32Array : Array.isArray(one.predictions), true);
      const rows = await c.predict([[1, 2], [3, 4], [5, 6]]);
      assert.deepEqual(Array.from(rows.predictions), [3, 7, 11]);
      const v2 = await c.infer({id: 'r7', inputs: [{name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4]}]});
      assert.equal(v2.id, 'r7');
      assert.deepEqual(v2.outputs[0].data, [3, 7]);
      assert.equal(typeof v2.parameters.queue_us, 'number');
      c.close();
    }
  });

  it('round-trips Float32Array values exactly on the binary wire (and on JSON)', async () => {
    // The sum of a one-feature row is the feature itself: each value must come back bit for bit.
    const values = new Float32Array(4096);
    let seed = 7;
    const view = new DataView(values.buffer);
    for (let i = 0; i < values.length; ++i) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      // Random bit patterns over the finite float32 range (NaN and infinities left out).
      let bits = (seed * 2654435761) >>> 0;
      if (((bits >>> 23) & 0xff) === 0xff) bits &= ~(1 << 23);
      view.setUint32(4 * i, bits, true);
    }
    values.set([0.1, 1 / 3, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 16777217, 0]);
    for (const wire of ['ws-binary', 'ws']) {
      const c = client(server, {wire, model: 'sum'});
      const answer = await c.predict(values, {rows: values.length});
      const got = answer.predictions instanceof Float32Array ? answer.predictions : Float32Array.from(answer.predictions);
      assert.equal(got.length, values.length);
      const same = got.every((value, i) => Object.is(value, values[i]));
      assert.ok(same, `${wire}: a value changed on the way`);
      c.close();
    }
  });

  it("types the server's errors with the same code on every wire", async () => {
    const cases = [
      [{model: 'nope', features: [1]}, Code.NOT_FOUND, 404, /unknown model 'nope'/],
      [{model: 'bc', features: [1, 2]}, Code.INVALID_ARGUMENT, 400, /expects 30 features per row, got 2/],
    ];
    for (const wire of WIRES) {
      const c = client(server, {wire});
      for (const [{model, features}, code, httpStatus, message] of cases) {
        await assert.rejects(c.predict(features, {model}), (error) => {
          assert.ok(error instanceof PredictwireError, `${wire}: ${error}`);
          assert.equal(error.code, code, `${wire} ${model}`);
          assert.equal(error.httpStatus, httpStatus);
          assert.equal(error.fromServer, true);
          assert.match(error.message, message);
          return true;
        });
      }
      c.close();
    }
  });

  it('rejects a request past its deadline with a TimeoutError, and carries on', async () => {
    for (const wire of WIRES) {
      const c = client(server, {wire});
      const started = Date.now();
      await assert.rejects(c.predict([1], {model: 'slow', timeoutMs: 80}), (error) => {
        assert.ok(error instanceof TimeoutError, `${wire}: ${error}`);
        assert.equal(error.code, Code.DEADLINE_EXCEEDED);
        assert.equal(error.fromServer, false);
        return true;
      });
      assert.ok(Date.now() - started < 500, wire);  // well before the answer
      assert.deepEqual(Array.from((await c.predict([2], {model: 'sum'})).predictions), [2]);
      await tick(600);  // the slow answer arrives now, and is ignored
      assert.equal(c.stats.answered, 1);
      assert.equal(c.stats.settledTwice, 0);
      c.close();
    }
  });
});

describe('restarts', () => {
  // Thousands in flight at once: a model whose calls take 300 ms, merging what waits (the
  // simulated models take their time per call, whatever the rows).
  const SLOW = ['--model', 'sum=sleep:300ms,batch=8192'];

  it('thousands of requests in flight across a graceful restart on the same port: each answered once', async () => {
    const server = await new Server(SLOW).start();
    try {
      for (const [wire, count] of [['ws', 3000], ['ws-binary', 3000], ['fetch', 300]]) {
        const c = client(server, {wire, timeoutMs: 20000});
        const events = [];
        for (const name of ['open', 'close', 'reconnecting']) c.on(name, (event) => events.push([name, event.code]));
        await c.opened();
        const outcomes = flood(c, count);
        await tick(100);  // in the server's queue now
        const restarted = server.restart('SIGTERM');
        await tick(50);
        outcomes.push(...flood(c, count / 3, {}, count));  // sent while it stops and starts
        await restarted;
        outcomes.push(...flood(c, count / 3, {}, count * 2));
        assertAllAnswered(await settled(outcomes), `${wire} across a restart`);
        assert.equal(c.stats.settledTwice, 0);
        if (wire !== 'fetch') {
          // The stopping server's Close 1001, or, when it closed the connection while requests
          // were still coming (it does not wait for the client's Close), a reset: 1006.
          assert.ok(events.some(([name, code]) => name === 'close' && [1001, 1006].includes(code)), JSON.stringify(events));
          assert.ok(c.stats.reconnects >= 1, JSON.stringify(c.stats));
        }
        c.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('thousands in flight when the server is killed (kill -9): the unanswered are sent again once', async () => {
    const server = await new Server(SLOW).start();
    try {
      for (const [wire, count] of [['ws', 3000], ['ws-binary', 3000], ['fetch', 300]]) {
        // Node's fetch (undici) sometimes never settles a request whose connection the killed
        // server held (reproduced with fetch alone: every one of 150 pending on connections
        // the kernel had closed), and then a request sent again may meet the same fate: over
        // fetch what the client owns is asserted, each request settled once, with its own
        // answer or at its deadline.
        const c = client(server, {wire, timeoutMs: wire === 'fetch' ? 5000 : 20000});
        await c.opened();
        let answeredAtClose = null;  // answered when the client heard of the death
        c.on('close', () => { answeredAtClose ??= c.stats.answered; });
        const outcomes = flood(c, count);
        await tick(100);
        await server.stop('SIGKILL');
        outcomes.push(...flood(c, count / 3, {}, count));  // sent while it is down
        await tick(300);
        await server.start();
        await settled(outcomes);
        if (wire === 'fetch') {
          assert.ok(c.stats.answered > 0, JSON.stringify(c.stats));
          for (const o of outcomes) {
            assert.equal(o.settled, 1, `request ${o.i} settled ${o.settled} times`);
            if (o.error) assert.ok(o.error instanceof TimeoutError, String(o.error));
            else assert.equal(o.value, o.i + 0.5);
          }
        } else {
          assertAllAnswered(outcomes, `${wire} across a kill -9`);
        }
        if (wire !== 'fetch') {
          // Everything out on the socket when it died was sent again once: the first flood's
          // unanswered, and as much of the second as went out before the client heard.
          const lost = count - answeredAtClose;
          assert.ok(lost > 0 && c.stats.resent >= lost && c.stats.resent <= lost + count / 3,
                    `${wire}: ${lost} out at the kill, ${JSON.stringify(c.stats)}`);
        } else {
          // fetch's own pool may hold requests back and send them only once the server is back.
          assert.ok(c.stats.resent >= 1, JSON.stringify(c.stats));
        }
        assert.equal(c.stats.settledTwice, 0);
        c.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('rejects requests whose deadline passes while the server is down, answers the others', async () => {
    const server = await new Server(['--model', 'sum=sleep:0']).start();
    try {
      for (const wire of ['ws', 'fetch']) {
        const c = client(server, {wire});
        await c.opened();
        await server.stop('SIGKILL');
        await tick(50);
        const short = flood(c, 200, {timeoutMs: 150});
        const long = flood(c, 200, {timeoutMs: 15000}, 200);
        await tick(600);
        await server.start();
        await settled([...short, ...long]);
        for (const o of short) {
          assert.equal(o.settled, 1);
          assert.ok(o.error instanceof TimeoutError, `${wire}: ${o.error}`);
          assert.equal(o.error.code, Code.DEADLINE_EXCEEDED);
        }
        assertAllAnswered(long, `${wire}: the long deadlines`);
        c.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('rejects a request lost twice with a ConnectionError', async () => {
    const server = await new Server(['--model', 'sum=sleep:2s']).start();
    try {
      const c = client(server, {wire: 'ws', timeoutMs: 20000});
      await c.opened();
      const outcomes = flood(c, 50);
      await tick(100);
      await server.restart('SIGKILL');
      await c.opened();
      await tick(200);  // sent again, to the new server, and lost again
      await server.restart('SIGKILL');
      await settled(outcomes);
      for (const o of outcomes) {
        assert.equal(o.settled, 1);
        assert.ok(o.error instanceof ConnectionError, String(o.error));
        assert.equal(o.error.code, Code.UNAVAILABLE);
      }
      c.close();
    } finally {
      await server.stop();
    }
  });

  it("replaces the socket of a frozen server (SIGSTOP) when its pong does not come", async () => {
    const server = await new Server(['--model', 'sum=sleep:0']).start();
    try {
      const c = client(server, {wire: 'ws', timeoutMs: 20000, heartbeat: {intervalMs: 100, timeoutMs: 200},
                                backoff: {...FAST, minConnectTimeoutMs: 300}});
      const closes = [];
      c.on('close', (event) => closes.push(event.reason));
      await c.opened();
      server.process.kill('SIGSTOP');
      const outcomes = flood(c, 20);
      try {
        await tick(600);
        assert.ok(closes.some((reason) => /no pong within 200 ms/.test(reason)), JSON.stringify(closes));
      } finally {
        server.process.kill('SIGCONT');
      }
      assertAllAnswered(await settled(outcomes), 'after the freeze');
      assert.ok(c.stats.reconnects >= 1);
      c.close();
    } finally {
      await server.stop();
    }
  });
});

// Node's own WebSocket (undici's: global in Node 22, behind --experimental-websocket from 20.10)
// is a browser's: no ping. A child Node with it sends requests while the test kills and restarts
// the server; it prints one JSON line once it has its socket, and one with what became of them.
const PLATFORM_FLAGS = typeof globalThis.WebSocket === 'function' ? [] : ['--experimental-websocket'];
const platformWebSocket = spawnSync(process.execPath, [...PLATFORM_FLAGS, '-e', 'process.exit(typeof WebSocket === "function" ? 0 : 1)']).status === 0;
const CHILD = `
import {connect} from ${JSON.stringify(new URL('../predictwire.js', import.meta.url).href)};
const c = connect(process.argv[1], {wire: 'ws-binary', model: 'sum', timeoutMs: 20000,
                                    backoff: {initialMs: 100, maxMs: 1000, minConnectTimeoutMs: 2000}});
await c.opened();
const answers = Array.from({length: 2000}, (_, i) => c.predict(new Float32Array([i, 0.5])).then(
    (a) => (a.predictions[0] === i + 0.5 ? 'right' : 'wrong'), (e) => e.name));
console.log(JSON.stringify({ready: true, platform: typeof WebSocket}));
const counts = {};
for (const outcome of await Promise.all(answers)) counts[outcome] = (counts[outcome] || 0) + 1;
console.log(JSON.stringify({counts, stats: c.stats}));
c.close();
`;

describe("Node's own WebSocket, a browser's", () => {
  it('answers every request once across a kill -9, without ping, as in a browser',
     {skip: platformWebSocket ? false : 'this Node has no WebSocket of its own (Node 20.10 or later has one)'}, async () => {
    const server = await new Server(['--model', 'sum=sleep:300ms,batch=8192']).start();
    const child = spawn(process.execPath, [...PLATFORM_FLAGS, '--no-warnings', '--input-type=module', '-e', CHILD, server.url],
                        {stdio: ['ignore', 'pipe', 'inherit']});
    try {
      const lines = [];
      child.stdout.setEncoding('utf8');
      let buffered = '';
      child.stdout.on('data', (text) => {
        buffered += text;
        for (let end; (end = buffered.indexOf('\n')) >= 0; buffered = buffered.slice(end + 1)) {
          lines.push(JSON.parse(buffered.slice(0, end)));
        }
      });
      const line = async (n) => {
        const deadline = Date.now() + 30000;
        while (lines.length < n && Date.now() < deadline) await tick(10);
        assert.ok(lines.length >= n, 'the child said nothing');
        return lines[n - 1];
      };
      assert.deepEqual(await line(1), {ready: true, platform: 'function'});
      await tick(100);
      await server.restart('SIGKILL');
      const {counts, stats} = await line(2);
      assert.deepEqual(counts, {right: 2000}, JSON.stringify(stats));
      assert.ok(stats.resent > 0 && stats.reconnects >= 1, JSON.stringify(stats));
      assert.equal(stats.settledTwice, 0);
    } finally {
      child.kill();
      await server.stop();
    }
  });
});

// A proxy in front of the server that passes HTTP on and, while `refusing`, answers WebSocket
// upgrades 403 (as some corporate proxies do); otherwise it tunnels them through.
class UpgradeRefusingProxy {
  constructor(target) {
    this.target = target;
    this.refusing = true;
    this.upgrades = 0;
    this.server = http.createServer((request, response) => {
      const forward = http.request({host: target.host, port: target.port, method: request.method, path: request.url,
                                    headers: request.headers}, (answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        answer.pipe(response);
      });
      forward.on('error', () => response.destroy());
      request.pipe(forward);
    });
    this.server.on('upgrade', (request, socket, head) => {
      ++this.upgrades;
      if (this.refusing) {
        socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      const upstream = net.connect(target.port, target.host, () => {
        let raw = `${request.method} ${request.url} HTTP/1.1\r\n`;
        for (let i = 0; i < request.rawHeaders.length; i += 2) raw += `${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}\r\n`;
        upstream.write(raw + '\r\n');
        upstream.write(head);
        socket.pipe(upstream).pipe(socket);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
  }

  async start() {
    this.server.listen(0, '127.0.0.1');
    await new Promise((resolve) => this.server.once('listening', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

describe('auto behind a proxy', () => {
  it('falls back to fetch when the upgrade is refused, and goes back to the WebSocket once allowed', async () => {
    const server = await new Server(['--model', 'sum=sleep:0']).start();
    const proxy = await new UpgradeRefusingProxy(server).start();
    try {
      const c = kept(connect(proxy.url, {wire: 'auto', WebSocket, backoff: FAST, retryWebSocketMs: 400}));
      const events = [];
      c.on('fallback', () => events.push('fallback'));
      c.on('open', (event) => events.push(`open ${event.wire}`));
      const first = await c.predict([1, 2]);
      assert.equal(first.wire, 'fetch');
      assert.deepEqual(first.predictions, [3]);
      assert.ok(proxy.upgrades >= 2);
      assert.equal(c.state, 'fallback');
      proxy.refusing = false;
      const deadline = Date.now() + 5000;
      while (c.wire !== 'ws' && Date.now() < deadline) {
        assert.deepEqual((await c.predict([2, 2])).predictions, [4]);  // answered meanwhile, over fetch
        await tick(50);
      }
      const later = await c.predict([3, 4]);
      assert.equal(later.wire, 'ws');
      assert.deepEqual(later.predictions, [7]);
      assert.deepEqual(events, ['fallback', 'open fetch', 'open ws']);
      c.close();
    } finally {
      await proxy.stop();
      await server.stop();
    }
  });
});
