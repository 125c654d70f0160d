// A scripted stand-in for the network, for the client's unit tests: a WebSocket class (as a
// browser's, or with Node's ws ping/pong when asked) whose server side the test drives, and a
// fetch whose answers the test decides. Nothing here touches a socket.

import {encodeBinaryRequest, decodeBinaryReply} from '../../predictwire.js';

export const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits until `condition()` holds, checking every few milliseconds; fails after `timeoutMs`.
export async function until(condition, timeoutMs = 3000, what = 'the condition') {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}

// The server's side of one fake socket: what the client sent, and ways to answer or end it.
export class FakeSocketEnd {
  constructor(socket) {
    this.socket = socket;
    this.received = [];  // parsed messages: {id, model, features | instances} or the binary's fields
  }

  get open() {
    return this.socket.readyState === 1;
  }

  // Answers a request the way the server would: the sum of each row's features.
  answer(request, extra = {}) {
    const rows = request.instances || [request.features];
    const predictions = rows.map((row) => row.reduce((a, b) => a + b, 0));
    if (request.binary) {
      this.sendBinaryAnswer(request.id, Float32Array.from(predictions));
    } else {
      this.send(JSON.stringify({id: request.id, model: request.model || 'sum', predictions,
                                timing: {queue_us: 1, compute_us: 2}, ...extra}));
    }
  }

  error(request, code, message) {
    if (request.binary) {
      const text = new TextEncoder().encode(message);
      const buffer = new ArrayBuffer(24 + text.length);
      const view = new DataView(buffer);
      view.setUint8(0, 1);
      view.setUint8(1, code);
      view.setUint32(4, text.length, true);
      view.setUint32(8, request.id, true);
      new Uint8Array(buffer, 24).set(text);
      this.send(buffer);
    } else {
      this.send(JSON.stringify({id: request.id, error: message, code}));
    }
  }

  sendBinaryAnswer(id, predictions) {
    const buffer = new ArrayBuffer(24 + 4 * predictions.length);
    const view = new DataView(buffer);
    view.setUint8(0, 1);
    view.setUint32(4, predictions.length, true);
    view.setUint32(8, id, true);
    view.setUint32(16, 1, true);
    view.setUint32(20, 2, true);
    new Float32Array(buffer, 24).set(predictions);
    this.send(buffer);
  }

  send(data) {
    if (!this.open) return;
    this.socket.onmessage?.({data});
  }

  // The server's Close frame has arrived, the close event not yet (the browser's CLOSING).
  beginClose() {
    if (this.socket.readyState === 1) this.socket.readyState = 2;
  }

  // The server closes the connection with `code` (1001: going away).
  close(code = 1001, reason = 'server shutting down') {
    if (this.socket.readyState === 3) return;
    this.socket.readyState = 3;
    this.socket.onclose?.({code, reason, wasClean: true});
  }

  // The connection breaks (a killed server, a reset).
  drop() {
    if (this.socket.readyState >= 2) return;
    this.socket.readyState = 3;
    this.socket.onerror?.({});
    this.socket.onclose?.({code: 1006, reason: '', wasClean: false});
  }
}

// A fake network: `mode` decides what a new socket meets ('accept', 'refuse' or 'hang');
// `onRequest(end, request)` is called for each request a socket receives (answer it, or not).
export class FakeNetwork {
  constructor({pings = false} = {}) {
    this.mode = 'accept';
    this.ends = [];          // every socket's server end, in the order opened
    this.attempts = [];      // when each connection was attempted (Date.now())
    this.onRequest = (end, request) => end.answer(request);
    this.answerPings = true;
    this.pings = 0;
    const network = this;
    class FakeWebSocket {
      constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.binaryType = 'blob';
        this.sent = [];
        this.listeners = {};
        const end = new FakeSocketEnd(this);
        this.end = end;
        network.attempts.push(Date.now());
        const mode = network.mode;
        setTimeout(() => {
          if (this.readyState !== 0) return;
          if (mode === 'accept') {
            this.readyState = 1;
            network.ends.push(end);
            this.onopen?.({});
          } else if (mode === 'refuse') {
            this.readyState = 3;
            this.onerror?.({});
            this.onclose?.({code: 1006, reason: '', wasClean: false});
          }
        }, 1);
      }

      send(data) {
        if (this.readyState !== 1) throw new Error('not open');
        let request;
        if (typeof data === 'string') {
          request = JSON.parse(data);
        } else {
          request = decodeBinaryRequest(data);
        }
        this.end.received.push(request);
        queueMicrotask(() => network.onRequest(this.end, request));
      }

      close(code, reason) {
        if (this.readyState >= 2) return;
        this.readyState = 2;
        setTimeout(() => {
          this.readyState = 3;
          this.onclose?.({code: code ?? 1005, reason: reason ?? '', wasClean: true});
        }, 1);
      }
    }
    // Node's ws: ping() and the 'pong' event.
    class PingingWebSocket extends FakeWebSocket {
      ping() {
        ++network.pings;
        if (network.answerPings && this.readyState === 1) setTimeout(() => this.emit('pong'), 1);
      }

      on(name, listener) {
        (this.listeners[name] ||= new Set()).add(listener);
        return this;
      }

      emit(name, ...args) {
        for (const listener of this.listeners[name] || []) listener(...args);
      }

      removeAllListeners(name) {
        delete this.listeners[name];
        return this;
      }

      terminate() {
        this.readyState = 3;
      }
    }
    this.WebSocket = pings ? PingingWebSocket : FakeWebSocket;
  }

  get last() {
    return this.ends[this.ends.length - 1];
  }
}

// The binary request's fields (docs/api.md): {binary: true, id, model, features | instances}.
export function decodeBinaryRequest(buffer) {
  const view = new DataView(buffer);
  const nameLength = view.getUint16(2, true), rows = view.getUint32(4, true), cols = view.getUint32(8, true);
  const id = view.getUint32(12, true) + view.getUint32(16, true) * 4294967296;
  const model = new TextDecoder().decode(new Uint8Array(buffer, 20, nameLength));
  const values = new Float32Array(buffer.slice(20 + nameLength, 20 + nameLength + 4 * rows * cols));
  const instances = [];
  for (let r = 0; r < rows; ++r) instances.push(Array.from(values.subarray(r * cols, (r + 1) * cols)));
  return {binary: true, id, model, instances, values};
}

// A fetch the test answers: `handler(url, init)` returns {status, body} (an object is sent as
// JSON), or throws to fail as the network does.
export function fakeFetch(handler) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    calls.push({url, init});
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    const {status = 200, body = ''} = await handler(url, init);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return {
      ok: status >= 200 && status < 300,
      status,
      text: async () => text,
      json: async () => JSON.parse(text),
      arrayBuffer: async () => new TextEncoder().encode(text).buffer,
    };
  };
  fetch.calls = calls;
  return fetch;
}

// The /predict answer for a JSON body, as the server gives it.
export function predictAnswer(init) {
  const request = JSON.parse(init.body);
  const rows = request.instances || [request.features];
  return {status: 200, body: {model: request.model || 'sum', predictions: rows.map((row) => row.reduce((a, b) => a + b, 0)),
                              timing: {queue_us: 1, compute_us: 2}}};
}

export {encodeBinaryRequest, decodeBinaryReply};
