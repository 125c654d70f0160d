// predictwire.js against a scripted fake network (test/support/fake.js): matching by id,
// deadlines, typed errors, reconnect and resend on close, error, Close 1001 and a missing pong,
// the backoff, the fetch wire and auto's fallback, close(), and every Promise settling once.
// No server and no socket: `node --test test/client.test.js`.

import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {Backoff, ClosedError, Code, ConnectionError, PredictwireError, TimeoutError, codeOfHttpStatus, connect,
        decodeBinaryReply, encodeBinaryRequest} from '../predictwire.js';
import {FakeNetwork, decodeBinaryRequest, fakeFetch, predictAnswer, tick, until} from './support/fake.js';

const FAST = {initialMs: 10, multiplier: 1.6, jitter: 0.2, maxMs: 100, minConnectTimeoutMs: 200};
const refusedFetch = fakeFetch(() => { throw new TypeError('fetch failed'); });

function client(network, options = {}) {
  return connect('http://server.test:8000', {wire: 'ws', WebSocket: network.WebSocket, fetch: refusedFetch,
                                             backoff: FAST, heartbeat: false, ...options});
}

// Records every settlement of each promise: a promise settles once, so a second record would
// be the client calling resolve or reject twice on a request it had handed out.
function track(promises) {
  const outcomes = promises.map(() => []);
  promises.forEach((promise, i) => promise.then((value) => outcomes[i].push({value}), (error) => outcomes[i].push({error})));
  return outcomes;
}

describe('requests on one socket', () => {
  it('matches many requests in flight by id, whatever order the answers come in', async () => {
    const network = new FakeNetwork();
    const held = [];
    network.onRequest = (end, request) => held.push([end, request]);
    const c = client(network);
    const answers = Array.from({length: 200}, (_, i) => c.predict([i, 0.5]));
    await until(() => held.length === 200);
    assert.equal(network.ends.length, 1);
    for (const [end, request] of held.reverse()) end.answer(request);
    const results = await Promise.all(answers);
    results.forEach((answer, i) => {
      assert.deepEqual(answer.predictions, [i + 0.5]);
      assert.deepEqual(answer.timing, {queue_us: 1, compute_us: 2});
      assert.equal(answer.wire, 'ws');
    });
    assert.equal(c.pending, 0);
    c.close();
  });

  it('sends the model, rows and typed arrays as the server reads them', async () => {
    const network = new FakeNetwork();
    const c = client(network, {model: 'default-one'});
    await c.predict([1, 2]);
    await c.predict([[1, 2], [3, 4]], {model: 'other'});
    await c.predict(new Float32Array([1, 2, 3, 4, 5, 6]), {rows: 3});
    const sent = network.last.received.map(({id, ...rest}) => rest);
    assert.deepEqual(sent, [{model: 'default-one', features: [1, 2]},
                            {model: 'other', instances: [[1, 2], [3, 4]]},
                            {model: 'default-one', instances: [[1, 2], [3, 4], [5, 6]]}]);
    await assert.rejects(c.predict([]), (error) => error.code === Code.INVALID_ARGUMENT && !error.fromServer);
    await assert.rejects(c.predict([[1, 2], [3]]), /same number of features/);
    await assert.rejects(c.predict(new Float32Array(5), {rows: 2}), /5 values do not make 2 rows/);
    c.close();
  });

  it('rejects a request past its deadline with a TimeoutError and ignores its late answer', async () => {
    const network = new FakeNetwork();
    const held = [];
    network.onRequest = (end, request) => held.push([end, request]);
    const c = client(network, {timeoutMs: 5000});
    const started = Date.now();
    const outcome = track([c.predict([1], {timeoutMs: 30}), c.predict([2])]);
    await until(() => outcome[0].length === 1);
    assert.ok(Date.now() - started >= 29);
    const {error} = outcome[0][0];
    assert.ok(error instanceof TimeoutError);
    assert.ok(error instanceof PredictwireError);
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(error.codeName, 'DEADLINE_EXCEEDED');
    assert.equal(error.httpStatus, 504);
    assert.equal(error.fromServer, false);
    assert.match(error.message, /no answer within 30 ms/);
    for (const [end, request] of held) end.answer(request);  // the first one's answer comes late
    await until(() => outcome[1].length === 1);
    await tick(5);
    assert.equal(outcome[0].length, 1);
    assert.deepEqual(outcome[1][0].value.predictions, [2]);
    assert.equal(c.stats.late, 1);
    assert.equal(c.stats.settledTwice, 0);
    c.close();
  });

  it('keeps deadlines of different lengths, each rejected in its turn and no earlier', async () => {
    const network = new FakeNetwork();
    // The request of features [9] is answered at once (within the same task: no timer can fire
    // first); the others never are.
    network.onRequest = (end, request) => { if (request.features[0] === 9) end.answer(request); };
    const c = client(network);
    await c.opened();
    const started = Date.now();
    const rejected = [];
    const timeouts = [120, 40, 80, 40, 160];
    const outcome = track(timeouts.map((timeoutMs, i) => c.predict([i], {timeoutMs}).catch((error) => {
      rejected.push([i, Date.now() - started]);
      throw error;
    })));
    // The earliest deadline of all, answered in time: the timer armed for it finds nothing to do.
    assert.deepEqual((await c.predict([9], {timeoutMs: 20})).predictions, [9]);
    await until(() => outcome.every((o) => o.length === 1));
    assert.deepEqual(rejected.map(([i]) => i), [1, 3, 2, 0, 4]);
    for (const [i, at] of rejected) assert.ok(at >= timeouts[i] - 1, `request ${i} rejected after ${at} ms`);
    assert.ok(outcome.every((o) => o[0].error instanceof TimeoutError));
    assert.equal(c.stats.timedOut, 5);
    c.close();
  });

  it("types the server's errors with its code on the JSON and the binary wire", async () => {
    for (const wire of ['ws', 'ws-binary']) {
      const network = new FakeNetwork();
      network.onRequest = (end, request) => {
        if (request.model === 'nope') end.error(request, 5, "unknown model 'nope'");
        else if (request.model === 'busy') end.error(request, 8, 'queue full');
        else end.error(request, 3, 'expects 30 features per row, got 2');
      };
      const c = client(network, {wire});
      const cases = [['nope', Code.NOT_FOUND, 404], ['busy', Code.RESOURCE_EXHAUSTED, 503], ['x', Code.INVALID_ARGUMENT, 400]];
      for (const [model, code, httpStatus] of cases) {
        await assert.rejects(c.predict([1, 2], {model}), (error) => {
          assert.ok(error instanceof PredictwireError);
          assert.equal(error.code, code, wire);
          assert.equal(error.httpStatus, httpStatus);
          assert.equal(error.fromServer, true);
          assert.equal(error.wire, wire);
          return true;
        });
      }
      c.close();
    }
  });
});

describe('the binary wire', () => {
  it('round-trips Float32Array values exactly, NaN, infinities and denormals included', async () => {
    const values = new Float32Array([0.1, -2.5e-42, 3.4028234663852886e38, -Infinity, NaN, 1 / 3, 16777217, -1e-7]);
    const bytes = encodeBinaryRequest(2 ** 40 + 7, 'm\u00fcdel', values, values.length);
    const decoded = decodeBinaryRequest(bytes);
    assert.equal(decoded.id, 2 ** 40 + 7);
    assert.equal(decoded.model, 'm\u00fcdel');
    assert.deepEqual(new Uint8Array(decoded.values.buffer), new Uint8Array(values.buffer));

    const network = new FakeNetwork();
    network.onRequest = (end, request) => end.sendBinaryAnswer(request.id, request.values);  // echo
    const c = client(network, {wire: 'ws-binary'});
    const answer = await c.predict(values, {rows: values.length});
    assert.ok(answer.predictions instanceof Float32Array);
    assert.deepEqual(new Uint8Array(answer.predictions.buffer), new Uint8Array(values.buffer));
    assert.equal(answer.model, null);  // the binary reply does not name it
    c.close();
  });

  it('decodes an error reply', () => {
    const text = new TextEncoder().encode('bad');
    const buffer = new ArrayBuffer(24 + text.length);
    const view = new DataView(buffer);
    view.setUint8(0, 1);
    view.setUint8(1, 3);
    view.setUint32(4, text.length, true);
    view.setUint32(8, 9, true);
    new Uint8Array(buffer, 24).set(text);
    assert.deepEqual(decodeBinaryReply(buffer), {id: 9, status: 3, timing: {queue_us: 0, compute_us: 0}, error: 'bad'});
  });
});

describe('reconnecting', () => {
  it('on Close 1001 sends the unanswered requests again once on the next socket; the answered stay answered', async () => {
    const network = new FakeNetwork();
    const held = [];
    network.onRequest = (end, request) => held.push([end, request]);
    const c = client(network);
    const events = [];
    for (const name of ['open', 'close', 'reconnecting']) c.on(name, (event) => events.push([name, event]));
    const outcome = track(Array.from({length: 10}, (_, i) => c.predict([i])));
    await until(() => held.length === 10);
    const first = network.last;
    for (const [end, request] of held.splice(0, 4)) end.answer(request);
    first.close(1001, 'server shutting down');  // a draining server, its in-flight answers sent
    held.length = 0;
    network.onRequest = (end, request) => end.answer(request);
    await until(() => outcome.every((o) => o.length === 1));
    assert.equal(network.ends.length, 2);
    assert.deepEqual(network.last.received.map((r) => r.features[0]), [4, 5, 6, 7, 8, 9]);
    outcome.forEach((o, i) => assert.deepEqual(o[0].value.predictions, [i]));
    assert.equal(c.stats.resent, 6);
    assert.equal(c.stats.reconnects, 1);
    assert.deepEqual(events.map(([name, event]) => [name, event.code]),
                     [['open', undefined], ['close', 1001], ['reconnecting', undefined], ['open', undefined]]);
    assert.ok(events[2][1].delayMs <= FAST.jitter * FAST.initialMs + 1);  // the first retry is at once, jittered
    c.close();
  });

  it('sends nothing on a closing socket: what comes meanwhile goes on the next one', async () => {
    const network = new FakeNetwork();
    const c = client(network);
    await c.opened();
    const first = network.last;
    first.beginClose();  // the server's Close 1001 is in; the close event comes a moment later
    const answer = c.predict([2, 5]);
    await tick(5);
    assert.equal(first.received.length, 0);  // a browser would have refused the send
    first.close(1001);
    assert.deepEqual((await answer).predictions, [7]);
    assert.equal(network.ends.length, 2);
    assert.equal(c.stats.resent, 0);
    c.close();
  });

  it('rejects a request lost twice with a ConnectionError, and settles each promise once', async () => {
    const network = new FakeNetwork();
    network.onRequest = (end) => setTimeout(() => end.drop(), 2);  // every socket breaks, nothing answered
    const c = client(network);
    const outcome = track([c.predict([1]), c.predict([2])]);
    await until(() => outcome.every((o) => o.length === 1));
    for (const [{error}] of outcome) {
      assert.ok(error instanceof ConnectionError);
      assert.equal(error.code, Code.UNAVAILABLE);
      assert.match(error.message, /sent again once/);
    }
    const received = network.ends.flatMap((end) => end.received.map((r) => r.features[0]));
    assert.deepEqual(received.sort(), [1, 1, 2, 2]);  // sent, then sent again once
    await tick(20);
    assert.deepEqual(outcome.map((o) => o.length), [1, 1]);
    assert.equal(c.stats.settledTwice, 0);
    c.close();
  });

  it('sends a request refused by a stopping server (UNAVAILABLE) again on a new socket', async () => {
    const network = new FakeNetwork();
    let stopping = true;
    network.onRequest = (end, request) => {
      if (stopping) {
        stopping = false;
        end.error(request, Code.UNAVAILABLE, 'the server is shutting down');
      } else {
        end.answer(request);
      }
    };
    const c = client(network);
    const answer = await c.predict([5, 6]);
    assert.deepEqual(answer.predictions, [11]);
    assert.equal(network.ends.length, 2);  // the client left the stopping server's socket itself
    assert.equal(c.stats.resent, 1);
    c.close();
  });

  it('keeps requests while the server is down and sends them once a socket opens', async () => {
    const network = new FakeNetwork();
    network.mode = 'refuse';
    const c = client(network);
    const answer = c.predict([3]);
    await until(() => network.attempts.length >= 3);
    network.mode = 'accept';
    assert.deepEqual((await answer).predictions, [3]);
    assert.equal(network.last.received.length, 1);
    assert.equal(c.stats.resent, 0);  // never sent before: waiting is not sending again
    c.close();
  });

  it('rejects a request whose deadline passes while it waits for a socket, and never sends it', async () => {
    const network = new FakeNetwork();
    network.mode = 'refuse';
    const c = client(network);
    await assert.rejects(c.predict([1], {timeoutMs: 40}), TimeoutError);
    network.mode = 'accept';
    await c.opened();
    assert.deepEqual((await c.predict([2])).predictions, [2]);
    assert.deepEqual(network.ends.flatMap((end) => end.received.map((r) => r.features[0])), [2]);
    c.close();
  });

  it('waits between attempts as gRPC does: growing by the multiplier, jittered, capped', async () => {
    const network = new FakeNetwork();
    network.mode = 'refuse';
    const backoff = {initialMs: 20, multiplier: 2, jitter: 0, maxMs: 80, minConnectTimeoutMs: 200};
    const c = client(network, {backoff});
    const delays = [];
    c.on('reconnecting', (event) => delays.push(event.delayMs));
    await until(() => network.attempts.length >= 6, 5000);
    c.close();
    const gaps = network.attempts.slice(1).map((t, i) => t - network.attempts[i]);
    const expected = [20, 40, 80, 80, 80];
    // Never sooner than the backoff says (timers may be late on a busy machine, never early).
    gaps.slice(0, 5).forEach((gap, i) => assert.ok(gap >= expected[i] - 2 && gap < expected[i] * 2 + 60,
                                                   `gap ${i}: ${gap} ms, expected ${expected[i]} (${gaps})`));
    assert.ok(delays.length >= 5);
  });
});

describe('the backoff', () => {
  it("follows gRPC's connection backoff", () => {
    const none = new Backoff({}, () => 0.5);  // no jitter from a random of one half
    assert.deepEqual([none.next(), none.next(), none.next()].map(Math.round), [1000, 1600, 2560]);
    const capped = new Backoff({initialMs: 100, multiplier: 10, maxMs: 500}, () => 0.5);
    assert.deepEqual([1, 2, 3].map(() => capped.next()), [100, 500, 500]);
    capped.reset();
    assert.equal(capped.next(), 100);
    for (const [random, low] of [[0, true], [1, false]]) {
      const backoff = new Backoff({initialMs: 1000, jitter: 0.2}, () => random);
      assert.equal(backoff.next(), low ? 800 : 1200);
      assert.equal(backoff.next(), low ? 1280 : 1920);
      assert.equal(backoff.first(), low ? 0 : 200);
    }
    assert.equal(new Backoff().minConnectTimeoutMs, 20000);
  });

  it('spreads the first reconnect of many clients dropped together', async () => {
    const delays = [];
    const network = new FakeNetwork();
    const clients = Array.from({length: 40}, () => client(network, {backoff: {...FAST, initialMs: 500, jitter: 0.2}}));
    for (const c of clients) c.on('reconnecting', (event) => delays.push(event.delayMs));
    await until(() => network.ends.length === 40);
    for (const end of [...network.ends]) end.close(1001);
    await until(() => delays.length === 40);
    for (const c of clients) c.close();
    assert.ok(delays.every((d) => d >= 0 && d <= 100), delays);
    assert.ok(new Set(delays).size > 10, `delays should differ: ${delays}`);
  });
});

describe('the heartbeat', () => {
  it("replaces a socket whose pong does not come (Node's ws), sending its requests again", async () => {
    const network = new FakeNetwork({pings: true});
    network.answerPings = false;
    let silent = true;
    network.onRequest = (end, request) => { if (!silent) end.answer(request); };
    const c = client(network, {heartbeat: {intervalMs: 20, timeoutMs: 30}});
    const closes = [];
    c.on('close', (event) => closes.push(event));
    const answer = c.predict([4, 4]);
    await until(() => closes.length === 1, 2000, 'the missing pong');
    assert.match(closes[0].reason, /no pong within 30 ms/);
    silent = false;
    network.answerPings = true;
    assert.deepEqual((await answer).predictions, [8]);
    assert.ok(network.pings >= 1);
    assert.equal(c.stats.resent, 1);
    c.close();
  });

  it('keeps a socket whose pongs come, however long it is idle', async () => {
    const network = new FakeNetwork({pings: true});
    const c = client(network, {heartbeat: {intervalMs: 10, timeoutMs: 20}});
    await c.opened();
    await tick(120);
    assert.ok(network.pings >= 4);
    assert.equal(network.ends.length, 1);
    c.close();
  });

  it('in a browser (no ping), replaces a socket silent for timeoutMs while a request waits', async () => {
    const network = new FakeNetwork();
    let silent = true;
    network.onRequest = (end, request) => { if (!silent) end.answer(request); };
    const c = client(network, {heartbeat: {intervalMs: 15, timeoutMs: 40}});
    const closes = [];
    c.on('close', (event) => closes.push(event));
    await c.opened();
    await tick(80);
    assert.equal(closes.length, 0);  // idle with nothing out: nothing to suspect
    const answer = c.predict([1, 2]);
    await until(() => closes.length === 1, 2000, 'the silence check');
    assert.match(closes[0].reason, /nothing received for 40 ms/);
    silent = false;
    assert.deepEqual((await answer).predictions, [3]);
    c.close();
  });
});

describe('close()', () => {
  it('rejects everything pending with a ClosedError, once, and ignores answers after it', async () => {
    const network = new FakeNetwork();
    const held = [];
    network.onRequest = (end, request) => held.push([end, request]);
    const c = client(network);
    const closes = [];
    c.on('close', (event) => closes.push(event));
    const outcome = track(Array.from({length: 5}, (_, i) => c.predict([i])));
    await until(() => held.length === 5);
    c.close();
    await tick(1);
    for (const [end, request] of held) end.answer(request);
    await tick(5);
    for (const o of outcome) {
      assert.equal(o.length, 1);
      assert.ok(o[0].error instanceof ClosedError);
      assert.equal(o[0].error.code, Code.CANCELLED);
    }
    assert.equal(closes.length, 1);
    assert.equal(c.state, 'closed');
    await assert.rejects(c.predict([1]), ClosedError);
    await assert.rejects(c.opened(), ClosedError);
    await tick(50);
    assert.equal(network.attempts.length, 1);  // no reconnect after close()
  });

  it('rejects with a ClosedError when the request is aborted by its signal', async () => {
    const network = new FakeNetwork();
    network.onRequest = () => {};
    const c = client(network);
    const controller = new AbortController();
    const answer = c.predict([1], {signal: controller.signal});
    controller.abort();
    await assert.rejects(answer, (error) => error instanceof ClosedError && /aborted/.test(error.message));
    assert.equal(c.pending, 0);
    c.close();
  });
});

describe('fetch', () => {
  it('posts /predict, and types HTTP errors with the same codes as the other wires', async () => {
    const fetch = fakeFetch((url, init) => {
      const {model} = JSON.parse(init.body);
      if (model === 'nope') return {status: 404, body: {error: "unknown model 'nope'"}};
      if (model === 'busy') return {status: 503, body: {error: "model 'busy' already has 9 requests waiting; try again later"}};
      if (model === 'slow') return {status: 504, body: {error: 'not answered within 50ms'}};
      return predictAnswer(init);
    });
    const c = connect('http://server.test:8000/', {wire: 'fetch', fetch});
    const answer = await c.predict([1, 2, 3], {model: 'm'});
    assert.deepEqual(answer, {model: 'm', predictions: [6], timing: {queue_us: 1, compute_us: 2}, wire: 'fetch'});
    assert.equal(fetch.calls[0].url, 'http://server.test:8000/predict');
    assert.equal(fetch.calls[0].init.headers['content-type'], 'application/json');
    for (const [model, code, status] of [['nope', 5, 404], ['busy', 8, 503], ['slow', 4, 504]]) {
      await assert.rejects(c.predict([1], {model}), (error) => error.code === code && error.httpStatus === status &&
                                                                error.fromServer && error.wire === 'fetch');
    }
    c.close();
  });

  it('maps HTTP statuses to the canonical codes', () => {
    assert.equal(codeOfHttpStatus(400), Code.INVALID_ARGUMENT);
    assert.equal(codeOfHttpStatus(413), Code.RESOURCE_EXHAUSTED);
    assert.equal(codeOfHttpStatus(500), Code.INTERNAL);
    assert.equal(codeOfHttpStatus(503, 'the server is shutting down'), Code.UNAVAILABLE);
    assert.equal(codeOfHttpStatus(503, 'the server is short of memory for this request'), Code.RESOURCE_EXHAUSTED);
  });

  it('sends a request whose fetch failed again once, after a probe finds the server back', async () => {
    let down = 2;
    const fetch = fakeFetch((url, init) => {
      if (down > 0) { --down; throw new TypeError('fetch failed'); }
      if (url.endsWith('/v2/health/ready')) return {status: 200};
      return predictAnswer(init);
    });
    const c = connect('http://server.test:8000', {wire: 'fetch', fetch, backoff: FAST});
    const events = [];
    for (const name of ['open', 'close', 'reconnecting']) c.on(name, (event) => events.push(name));
    assert.deepEqual((await c.predict([2, 3])).predictions, [5]);
    assert.equal(c.stats.resent, 1);
    assert.deepEqual(fetch.calls.map((call) => new URL(call.url).pathname),
                     ['/predict', '/v2/health/ready', '/v2/health/ready', '/predict']);
    assert.deepEqual(events, ['open', 'close', 'reconnecting', 'reconnecting', 'open']);
    c.close();
  });

  it('sends infer() to the v2 route over fetch, whatever the wire', async () => {
    const fetch = fakeFetch((url, init) => ({status: 200, body: {model_name: 'm', id: JSON.parse(init.body).id,
                                                                 outputs: [{name: 'predictions', data: [3]}]}}));
    const network = new FakeNetwork();
    const c = client(network, {fetch});
    const request = {id: 'r1', inputs: [{name: 'x', shape: [1, 2], datatype: 'FP32', data: new Float32Array([1, 2])}]};
    const answer = await c.infer(request, {model: 'a b'});
    assert.equal(answer.id, 'r1');
    assert.equal(fetch.calls[0].url, 'http://server.test:8000/v2/models/a%20b/infer');
    assert.deepEqual(JSON.parse(fetch.calls[0].init.body).inputs[0].data, [1, 2]);
    await assert.rejects(c.infer(request), /infer needs a model/);
    c.close();
  });
});

describe('auto', () => {
  it('falls back to fetch when the upgrade is refused, and tries the WebSocket again later', async () => {
    const network = new FakeNetwork();
    network.mode = 'refuse';  // a proxy that refuses upgrades: HTTP works, WebSocket does not
    const fetch = fakeFetch((url, init) => (url.endsWith('/v2/health/ready') ? {status: 200} : predictAnswer(init)));
    const c = connect('ws://server.test:8000/ws', {wire: 'auto', WebSocket: network.WebSocket, fetch, backoff: FAST,
                                                   retryWebSocketMs: 60, heartbeat: false});
    const events = [];
    for (const name of ['open', 'fallback']) c.on(name, (event) => events.push([name, event.wire]));
    const first = await c.predict([1, 1]);
    assert.equal(first.wire, 'fetch');
    assert.equal(c.wire, 'fetch');
    assert.equal(c.state, 'fallback');
    assert.equal(fetch.calls.at(-1).url, 'http://server.test:8000/predict');
    network.mode = 'accept';  // the proxy lets upgrades through now
    await until(() => c.wire === 'ws', 2000, 'the WebSocket again');
    const second = await c.predict([2, 2]);
    assert.equal(second.wire, 'ws');
    assert.deepEqual(events, [['fallback', undefined], ['open', 'fetch'], ['open', 'ws']]);
    assert.equal(c.stats.fallbacks, 1);
    c.close();
  });

  it('does not fall back while the server itself is down: it waits for the WebSocket', async () => {
    const network = new FakeNetwork();
    network.mode = 'refuse';
    let serverUp = false;
    const fetch = fakeFetch((url, init) => {
      if (!serverUp) throw new TypeError('fetch failed');
      return url.endsWith('/v2/health/ready') ? {status: 200} : predictAnswer(init);
    });
    const c = connect('http://server.test:8000', {wire: 'auto', WebSocket: network.WebSocket, fetch, backoff: FAST,
                                                  heartbeat: false});
    const answer = c.predict([7]);
    await until(() => network.attempts.length >= 3);
    assert.equal(c.stats.fallbacks, 0);
    network.mode = 'accept';
    serverUp = true;
    const result = await answer;
    assert.equal(result.wire, 'ws');
    assert.equal(c.stats.fallbacks, 0);
    c.close();
  });

  it('uses fetch alone on a platform without WebSocket', async () => {
    const fetch = fakeFetch((url, init) => predictAnswer(init));
    const c = connect('http://server.test:8000', {wire: 'auto', WebSocket: null, fetch});
    assert.equal((await c.predict([1])).wire, 'fetch');
    c.close();
    assert.throws(() => connect('http://server.test:8000', {wire: 'ws', WebSocket: null, fetch}),
                  /pass one as options.WebSocket/);
  });
});

describe('chaos', () => {
  it('settles every promise exactly once, each with its own answer, whatever the network does', async () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const wire of ['ws', 'ws-binary']) {
      const network = new FakeNetwork();
      network.onRequest = (end, request) => {
        if (!end.doomed) {  // each socket lives 30 to 430 ms, then breaks or is asked to go
          end.doomed = true;
          setTimeout(() => (random() < 0.5 ? end.drop() : end.close(1001)), 30 + random() * 400);
        }
        const roll = random();
        if (roll < 0.01) return end.error(request, Code.UNAVAILABLE, 'the server is shutting down');
        if (roll < 0.03) return;                                     // never answered
        setTimeout(() => end.answer(request), Math.floor(random() * 5));  // out of order
      };
      const c = client(network, {wire, timeoutMs: 200, backoff: {...FAST, initialMs: 2}});
      const count = 2000;
      const outcome = [];
      for (let i = 0; i < count; ++i) {
        outcome.push(...track([c.predict([i, 0.25])]));  // tracked at once: no rejection unheard
        if (i % 8 === 7) await tick(1);
      }
      await until(() => outcome.every((o) => o.length >= 1), 20000, 'every promise to settle');
      await tick(20);
      let answered = 0;
      outcome.forEach((o, i) => {
        assert.equal(o.length, 1, `request ${i} settled ${o.length} times`);
        if (o[0].value) {
          ++answered;
          assert.equal(Number(o[0].value.predictions[0]), i + 0.25);
        } else {
          assert.ok(o[0].error instanceof TimeoutError || o[0].error instanceof ConnectionError, o[0].error);
        }
      });
      assert.ok(answered > count * 0.9, `${answered} of ${count} answered on ${wire}`);
      // The chaos happened: sockets went, requests were sent again, some timed out.
      assert.ok(c.stats.resent > 20 && c.stats.reconnects > 3 && c.stats.timedOut > 0, JSON.stringify(c.stats));
      assert.equal(c.stats.settledTwice, 0);
      assert.equal(c.stats.answered + c.stats.failed, count);
      assert.equal(c.pending, 0);
      c.close();
    }
  });
});
