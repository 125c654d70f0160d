// predictwire.js: predictions from a predictwire server, in a browser or in Node, in one import.
// No dependencies. The server serves this file at /predictwire.js; its source is
// clients/js/predictwire.js in the predictwire repository (README.md there has examples).
//
//   import {connect} from '/predictwire.js';
//   const client = connect('http://127.0.0.1:8000');            // wire 'auto': WebSocket, else fetch
//   const {predictions, timing} = await client.predict([1, 2, 3], {model: 'sleep50'});
//
// One WebSocket carries many requests at once, matched by id; each request has a deadline; a
// socket that closes, errs, is asked to go (Close 1001: a draining or aged server) or falls
// silent is replaced after a jittered exponential backoff (gRPC's connection-backoff rules), and
// the requests it had sent but not had answered are sent again once on the next. Every Promise
// settles exactly once.

export const VERSION = '0.1.0';

// The canonical status codes (gRPC's), which the server uses on every wire: the WebSocket
// error's `code`, the binary reply's status byte, gRPC's status; HTTP statuses map onto them.
export const Code = Object.freeze({
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, UNIMPLEMENTED: 12,
  INTERNAL: 13, UNAVAILABLE: 14,
});
const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([name, code]) => [code, name]));

// The HTTP status the server answers a code with (docs/api.md, "Errors").
const HTTP_OF_CODE = {3: 400, 4: 504, 5: 404, 7: 403, 8: 503, 9: 400, 12: 501, 13: 500, 14: 503};

// The code of an HTTP error answer. 503 is both RESOURCE_EXHAUSTED (a full queue, the memory
// budget) and UNAVAILABLE (a stopping server); the server's message tells them apart.
export function codeOfHttpStatus(status, message = '') {
  switch (status) {
    case 400: return Code.INVALID_ARGUMENT;
    case 413: case 431: return Code.RESOURCE_EXHAUSTED;
    case 403: return Code.PERMISSION_DENIED;
    case 404: return Code.NOT_FOUND;
    case 405: case 501: return Code.UNIMPLEMENTED;
    case 408: case 504: return Code.DEADLINE_EXCEEDED;
    case 500: return Code.INTERNAL;
    case 503: return /shutting down|stopping/i.test(message) ? Code.UNAVAILABLE : Code.RESOURCE_EXHAUSTED;
    default: return status >= 500 ? Code.UNAVAILABLE : Code.UNKNOWN;
  }
}

// Every failure of a request. `code` is the canonical code (Code), `codeName` its name,
// `httpStatus` the HTTP status it is (or would be) answered with, `fromServer` whether the
// server answered it (false for the client's own: a timeout, a lost connection, close()).
export class PredictwireError extends Error {
  constructor(message, {code = Code.UNKNOWN, httpStatus, fromServer = false, wire, cause} = {}) {
    super(message, cause === undefined ? undefined : {cause});
    this.name = 'PredictwireError';
    this.code = code;
    this.codeName = CODE_NAMES[code] || `CODE_${code}`;
    this.httpStatus = httpStatus ?? HTTP_OF_CODE[code] ?? 500;
    this.fromServer = fromServer;
    this.wire = wire;
  }
}

// The request's deadline (timeoutMs) passed before its answer came; an answer arriving later is
// ignored. Code DEADLINE_EXCEEDED, as the server's own (--request-timeout), but fromServer false.
export class TimeoutError extends PredictwireError {
  constructor(timeoutMs, wire) {
    super(`no answer within ${timeoutMs} ms`, {code: Code.DEADLINE_EXCEEDED, wire});
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

// The connection went (closed, failed, or the server went away) while the request was out, after
// it had already been sent again once. Code UNAVAILABLE.
export class ConnectionError extends PredictwireError {
  constructor(message, wire) {
    super(message, {code: Code.UNAVAILABLE, wire});
    this.name = 'ConnectionError';
  }
}

// client.close() was called, or the request's AbortSignal fired. Code CANCELLED.
export class ClosedError extends PredictwireError {
  constructor(message = 'the client was closed') {
    super(message, {code: Code.CANCELLED, httpStatus: 499});
    this.name = 'ClosedError';
  }
}

// gRPC's connection backoff (its "Connection Backoff Protocol"): the first retry waits
// about initialMs, each next one `multiplier` times longer up to maxMs, every wait spread by
// ±jitter of itself so that clients dropped together do not come back together; an attempt to
// connect may take minConnectTimeoutMs however short the wait. reset() after a success.
export class Backoff {
  constructor({initialMs = 1000, multiplier = 1.6, jitter = 0.2, maxMs = 120000,
               minConnectTimeoutMs = 20000} = {}, random = Math.random) {
    Object.assign(this, {initialMs, multiplier, jitter, maxMs, minConnectTimeoutMs, random});
    this.reset();
  }

  reset() {
    this.currentMs = this.initialMs;
    this.attempts = 0;
  }

  // How long to wait before the next attempt, from the start of the one that failed.
  next() {
    const base = this.attempts === 0 ? this.initialMs : Math.min(this.currentMs * this.multiplier, this.maxMs);
    this.currentMs = base;
    ++this.attempts;
    return Math.max(0, base + (this.random() * 2 - 1) * this.jitter * base);
  }

  // The first attempt after a connection that was up is lost: at once, but spread over
  // 0..jitter × initialMs so that a server's clients do not all reconnect in the same instant.
  first() {
    return this.random() * this.jitter * this.initialMs;
  }
}

const WIRES = ['auto', 'ws', 'ws-binary', 'fetch'];
const OPEN = 1;                   // WebSocket.OPEN
const CLOSING_TIMEOUT_MS = 2000;  // a closing socket whose close event does not come is given up
const now = () => (globalThis.performance ? performance.now() : Date.now());
const noop = () => {};
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The server's HTTP base ("http://host:port") and WebSocket URL ("ws://host:port/ws") from what
// the caller gave: either, or a relative URL in a page (default: the page's own server).
function serverUrls(url) {
  const base = globalThis.location && globalThis.location.href;
  const parsed = new URL(url ?? '/', base);
  const secure = parsed.protocol === 'https:' || parsed.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) {
    throw new PredictwireError(`cannot reach a server at ${url}: use http(s):// or ws(s)://`,
                               {code: Code.INVALID_ARGUMENT});
  }
  let path = parsed.pathname.replace(/\/+$/, '');
  if (parsed.protocol.startsWith('ws') && path.endsWith('/ws')) path = path.slice(0, -3);
  return {
    http: `${secure ? 'https' : 'http'}://${parsed.host}${path}`,
    ws: `${secure ? 'wss' : 'ws'}://${parsed.host}${path}/ws`,
  };
}

// Features as rows × cols of float32 values: a row of numbers, rows of numbers, or a typed
// array holding `rows` rows (default one).
function shapeOf(features, rows) {
  const flat = ArrayBuffer.isView(features) ||
               (Array.isArray(features) && rows !== undefined && !Array.isArray(features[0]));
  if (flat) {
    const count = features.length;
    const r = rows ?? 1;
    if (!count || !Number.isInteger(r) || r < 1 || count % r) {
      throw new PredictwireError(`${count} values do not make ${r} rows`, {code: Code.INVALID_ARGUMENT});
    }
    return {rows: r, cols: count / r, flat: features, nested: null};
  }
  if (!Array.isArray(features) || !features.length) {
    throw new PredictwireError('features must be a non-empty array of numbers, of rows, or a Float32Array',
                               {code: Code.INVALID_ARGUMENT});
  }
  if (Array.isArray(features[0]) || ArrayBuffer.isView(features[0])) {
    const cols = features[0].length;
    if (!cols || features.some((row) => row.length !== cols)) {
      throw new PredictwireError('every row must have the same number of features', {code: Code.INVALID_ARGUMENT});
    }
    return {rows: features.length, cols, flat: null, nested: features};
  }
  return {rows: 1, cols: features.length, flat: features, nested: null};
}

// The /predict body (also the WebSocket's JSON message, with its id).
function predictJson(id, model, shape) {
  const message = id === undefined ? {} : {id};
  if (model) message.model = model;
  if (shape.nested) {
    message.instances = shape.nested.map((row) => (ArrayBuffer.isView(row) ? Array.from(row) : row));
  } else if (shape.rows === 1) {
    message.features = ArrayBuffer.isView(shape.flat) ? Array.from(shape.flat) : shape.flat;
  } else {
    message.instances = [];
    for (let r = 0; r < shape.rows; ++r) {
      message.instances.push(Array.from(shape.flat.slice(r * shape.cols, (r + 1) * shape.cols)));
    }
  }
  return JSON.stringify(message);
}

const modelNames = new Map();

// The binary request (docs/api.md, "Binary WebSocket messages"): a 20-byte header (version 1,
// flags 0, the model name's length, rows, cols, the id), the model's name, float32 features.
export function encodeBinaryRequest(id, model, features, rows) {
  return encodeBinary(id, model, shapeOf(features, rows));
}

function encodeBinary(id, model, shape) {
  let name = modelNames.get(model || '');
  if (!name) {
    name = encoder.encode(model || '');
    if (modelNames.size < 64) modelNames.set(model || '', name);
  }
  const count = shape.rows * shape.cols;
  const buffer = new ArrayBuffer(20 + name.length + 4 * count);
  const view = new DataView(buffer);
  view.setUint8(0, 1);
  view.setUint16(2, name.length, true);
  view.setUint32(4, shape.rows, true);
  view.setUint32(8, shape.cols, true);
  view.setUint32(12, id % 4294967296, true);
  view.setUint32(16, Math.floor(id / 4294967296), true);
  const bytes = new Uint8Array(buffer);
  bytes.set(name, 20);
  const offset = 20 + name.length;
  const values = shape.nested ? shape.nested.flatMap((row) => Array.from(row)) : shape.flat;
  if (values.length !== count) {
    throw new PredictwireError(`${values.length} values do not make ${shape.rows} rows of ${shape.cols}`,
                               {code: Code.INVALID_ARGUMENT});
  }
  if (LITTLE_ENDIAN) {
    const floats = values instanceof Float32Array ? values : Float32Array.from(values);
    bytes.set(new Uint8Array(floats.buffer, floats.byteOffset, 4 * count), offset);
  } else {
    for (let i = 0; i < count; ++i) view.setFloat32(offset + 4 * i, values[i], true);
  }
  return buffer;
}

// A binary reply: {id, status, timing: {queue_us, compute_us}} with `predictions` (a
// Float32Array) when status is 0, else `error` (the server's message).
export function decodeBinaryReply(data) {
  const view = new DataView(data);
  if (data.byteLength < 24) throw new PredictwireError('a binary reply shorter than its header', {code: Code.INTERNAL});
  const status = view.getUint8(1), count = view.getUint32(4, true);
  const reply = {
    id: view.getUint32(8, true) + view.getUint32(12, true) * 4294967296,
    status,
    timing: {queue_us: view.getUint32(16, true), compute_us: view.getUint32(20, true)},
  };
  if (status === 0) {
    if (LITTLE_ENDIAN) {
      reply.predictions = new Float32Array(data.slice(24, 24 + 4 * count));
    } else {
      reply.predictions = new Float32Array(count);
      for (let i = 0; i < count; ++i) reply.predictions[i] = view.getFloat32(24 + 4 * i, true);
    }
  } else {
    reply.error = decoder.decode(new Uint8Array(data, 24, Math.min(count, data.byteLength - 24)));
  }
  return reply;
}

// A request on its way: where it is (a socket's queue, a socket, the HTTP path), how often it
// was sent, its deadline, and how it settles (once).
class Request {
  constructor(kind, id, shape, model, timeoutMs, resolve, reject) {
    this.kind = kind;      // 'predict' or 'infer'
    this.id = id;
    this.shape = shape;    // predict: the features' shape; infer: the JSON body
    this.model = model;
    this.timeoutMs = timeoutMs;
    this.deadline = Infinity;
    this.resolve = resolve;
    this.reject = reject;
    this.sends = 0;        // times it may have reached a server
    this.conn = null;      // the connection it is out on, awaiting its answer
    this.sentAt = 0;
    this.abort = null;     // aborts its fetch
    this.unlisten = null;  // removes its AbortSignal listener
    this.done = false;
  }
}

// One WebSocket and the requests out on it.
class Conn {
  constructor(socket, started) {
    this.socket = socket;
    this.started = started;
    this.open = false;
    this.inFlight = new Set();
    this.lastReceived = 0;
    this.heartbeat = null;
    this.pongTimer = null;
    this.connectTimer = null;
    this.closingTimer = null;
  }
}

// connect(url, options) → Client. See predictwire.d.ts for every option.
export function connect(url, options = {}) {
  return new Client(url, options);
}

export class Client {
  #urls;
  #wire;            // what was asked for: auto, ws, ws-binary, fetch
  #binary;          // answers carry Float32Array predictions
  #model;
  #timeoutMs;
  #WebSocket;
  #fetch;
  #backoff;
  #heartbeat;
  #retryWebSocketMs;
  #listeners = new Map();
  #nextId = 0;
  #pending = new Map();       // id → Request, every one not settled
  #socketQueue = new Set();   // waiting for a socket to open
  #httpQueue = new Set();     // waiting for the HTTP path to come back
  #conn = null;               // the current WebSocket, connecting or open: new requests go here
  #retiring = new Set();      // sockets of a stopping server, finishing what they have out
  #attemptTimer = null;
  #fallback = false;          // auto: requests go over fetch because a WebSocket cannot be opened
  #upgradeRefusals = 0;       // auto: WebSocket attempts failed in a row while HTTP answered
  #httpUp = true;
  #httpBackoff;
  #probeTimer = null;
  #closed = false;
  #openWaiters = [];
  // Deadlines without a timer per request (a timer made and cleared per request costs more than
  // the rest of the client): requests by their timeoutMs, each set in deadline order, and one
  // timer for the earliest.
  #deadlines = new Map();
  #deadlineTimer = null;
  #deadlineAt = Infinity;

  // What happened so far; for dashboards and tests.
  stats = {sent: 0, resent: 0, answered: 0, failed: 0, timedOut: 0, late: 0, connects: 0,
           reconnects: 0, fallbacks: 0, settledTwice: 0};

  constructor(url, options = {}) {
    this.#urls = serverUrls(url);
    const wire = options.wire ?? 'auto';
    if (!WIRES.includes(wire)) {
      throw new PredictwireError(`unknown wire '${wire}': one of ${WIRES.join(', ')}`, {code: Code.INVALID_ARGUMENT});
    }
    this.#wire = wire;
    this.#binary = wire === 'ws-binary' || (wire === 'auto' && !!options.binary);
    this.#model = options.model;
    this.#timeoutMs = options.timeoutMs ?? 10000;
    this.#WebSocket = options.WebSocket === undefined ? globalThis.WebSocket : options.WebSocket;
    this.#fetch = options.fetch === undefined ? (globalThis.fetch && globalThis.fetch.bind(globalThis)) : options.fetch;
    this.#backoff = new Backoff(options.backoff, options.random);
    this.#httpBackoff = new Backoff(options.backoff, options.random);
    this.#heartbeat = options.heartbeat === false ? null : {intervalMs: 15000, timeoutMs: 10000, ...options.heartbeat};
    this.#retryWebSocketMs = options.retryWebSocketMs ?? 30000;
    if (wire !== 'fetch' && !this.#WebSocket) {
      if (wire !== 'auto') {
        throw new PredictwireError('this platform has no WebSocket: pass one as options.WebSocket ' +
                                   "(in Node: import {WebSocket} from 'ws')", {code: Code.FAILED_PRECONDITION});
      }
      this.#fallback = true;  // auto without a WebSocket: fetch only
    }
    if (!this.#fetch && (wire === 'fetch' || this.#fallback)) {
      throw new PredictwireError('this platform has no fetch: pass one as options.fetch',
                                 {code: Code.FAILED_PRECONDITION});
    }
    if (this.#usesSocket()) {
      this.#openSocket();
    } else {
      this.stats.connects = 1;
      queueMicrotask(() => this.#emit('open', {wire: 'fetch', fallback: this.#fallback}));
    }
  }

  // The wire requests go over now: 'ws', 'ws-binary' or 'fetch'.
  get wire() {
    if (this.#usesSocket()) return this.#binary ? 'ws-binary' : 'ws';
    return 'fetch';
  }

  // 'connecting', 'open', 'reconnecting', 'fallback' (auto, on fetch) or 'closed'.
  get state() {
    if (this.#closed) return 'closed';
    if (!this.#usesSocket()) return !this.#httpUp ? 'reconnecting' : this.#fallback ? 'fallback' : 'open';
    if (this.#conn && this.#conn.open) return 'open';
    return this.stats.connects === 0 && this.#backoff.attempts === 0 ? 'connecting' : 'reconnecting';
  }

  // Requests not yet settled.
  get pending() {
    return this.#pending.size;
  }

  // Calls `listener(event)` on 'open' ({wire, fallback}), 'close' ({wire, code, reason}),
  // 'reconnecting' ({wire, attempt, delayMs}) and 'fallback' ({reason}); returns a function that
  // removes it.
  on(name, listener) {
    if (!this.#listeners.has(name)) this.#listeners.set(name, new Set());
    this.#listeners.get(name).add(listener);
    return () => this.off(name, listener);
  }

  off(name, listener) {
    this.#listeners.get(name)?.delete(listener);
  }

  // Resolves once requests can go out (the WebSocket is open, or fetch carries them); rejects
  // if the client is closed first.
  opened() {
    if (this.#closed) return Promise.reject(new ClosedError());
    if (this.#usesSocket() ? this.#conn && this.#conn.open : this.#httpUp) return Promise.resolve(this.wire);
    return new Promise((resolve, reject) => this.#openWaiters.push({resolve, reject}));
  }

  // One prediction: `features` is a row of numbers, an array of rows, or a Float32Array (of
  // `rows` rows, default 1). Resolves {model, predictions, timing: {queue_us, compute_us}, wire};
  // rejects with a PredictwireError (TimeoutError past `timeoutMs`).
  predict(features, {model = this.#model, timeoutMs = this.#timeoutMs, rows, signal} = {}) {
    let shape;
    try {
      shape = shapeOf(features, rows);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#start('predict', shape, model, timeoutMs, signal);
  }

  // An Open Inference Protocol v2 request ({inputs: [...], outputs?, id?, parameters?}) to
  // POST /v2/models/MODEL/infer. The WebSocket carries /predict messages only, so this goes over
  // fetch whatever the wire, with the same deadline, retry and errors. Resolves the v2 response.
  infer(request, {model = this.#model, timeoutMs = this.#timeoutMs, signal} = {}) {
    if (!model) {
      return Promise.reject(new PredictwireError('infer needs a model: infer(request, {model})',
                                                 {code: Code.INVALID_ARGUMENT}));
    }
    if (!this.#fetch) {
      return Promise.reject(new PredictwireError('infer needs fetch: pass options.fetch', {code: Code.FAILED_PRECONDITION}));
    }
    const body = JSON.stringify(request, (key, value) => (ArrayBuffer.isView(value) ? Array.from(value) : value));
    return this.#start('infer', body, model, timeoutMs, signal);
  }

  // Closes the socket and rejects every request not yet answered with a ClosedError.
  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#attemptTimer);
    this.#armDeadlines(Infinity);
    clearTimeout(this.#probeTimer);
    const current = this.#conn;
    const wasOpen = !!(current && current.open);
    for (const conn of [current, ...this.#retiring]) {
      if (!conn) continue;
      this.#stopTimers(conn);
      this.#forget(conn.socket);
      try { conn.socket.close(1000, 'client closed'); } catch { /* already closing */ }
    }
    this.#conn = null;
    this.#retiring.clear();
    this.#socketQueue.clear();
    this.#httpQueue.clear();
    for (const request of [...this.#pending.values()]) {
      if (request.abort) request.abort();
      this.#fail(request, new ClosedError());
    }
    for (const waiter of this.#openWaiters.splice(0)) waiter.reject(new ClosedError());
    if (wasOpen) this.#emit('close', {wire: this.wire, code: 1000, reason: 'client closed'});
  }

  // ---- requests

  #start(kind, payload, model, timeoutMs, signal) {
    if (this.#closed) return Promise.reject(new ClosedError());
    return new Promise((resolve, reject) => {
      const id = ++this.#nextId;
      const request = new Request(kind, id, payload, model, timeoutMs, resolve, reject);
      this.#pending.set(id, request);
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) this.#watch(request);
      if (signal) {
        if (signal.aborted) return this.#cancel(request);
        const onAbort = () => this.#cancel(request);
        signal.addEventListener('abort', onAbort, {once: true});
        request.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.#dispatch(request);
    });
  }

  #dispatch(request) {
    if (request.done) return;
    if (request.kind === 'predict' && this.#usesSocket()) {
      if (this.#conn && this.#conn.open) return this.#sendOnSocket(this.#conn, request);
      // A connection attempt is always under way or scheduled while there is no open socket.
      this.#socketQueue.add(request);
      return;
    }
    if (!this.#httpUp) {
      this.#httpQueue.add(request);
      return;
    }
    this.#sendFetch(request);
  }

  // Takes `request` out of wherever it waits.
  #unplace(request) {
    this.#socketQueue.delete(request);
    this.#httpQueue.delete(request);
    if (request.conn) {
      request.conn.inFlight.delete(request);
      if (this.#retiring.has(request.conn)) this.#retireIfDone(request.conn);
      request.conn = null;
    }
  }

  #settle(request) {
    if (request.done) {
      ++this.stats.settledTwice;
      return false;
    }
    request.done = true;
    if (request.deadline !== Infinity) this.#unwatch(request);
    if (request.unlisten) request.unlisten();
    this.#unplace(request);
    this.#pending.delete(request.id);
    return true;
  }

  #answer(request, answer) {
    if (!this.#settle(request)) return;
    ++this.stats.answered;
    request.resolve(answer);
  }

  #fail(request, error) {
    if (!this.#settle(request)) return;
    ++this.stats.failed;
    request.reject(error);
  }

  #watch(request) {
    request.deadline = now() + request.timeoutMs;
    let watched = this.#deadlines.get(request.timeoutMs);
    if (!watched) this.#deadlines.set(request.timeoutMs, (watched = new Set()));
    watched.add(request);
    if (request.deadline < this.#deadlineAt) this.#armDeadlines(request.deadline);
  }

  // The timer stays armed for a request answered in time: it fires once for nothing, rather than
  // being cleared and made again for every request.
  #unwatch(request) {
    this.#deadlines.get(request.timeoutMs)?.delete(request);
  }

  #armDeadlines(at) {
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = null;
    this.#deadlineAt = at;
    if (at === Infinity) return;
    this.#deadlineTimer = setTimeout(() => this.#sweepDeadlines(), Math.max(0, at - now()));
    // In Node the requests' own sockets and fetches keep the process alive, not their deadlines.
    if (typeof this.#deadlineTimer === 'object' && this.#deadlineTimer.unref) this.#deadlineTimer.unref();
  }

  // Rejects every request past its deadline, the earliest first, and waits for the next deadline.
  #sweepDeadlines() {
    this.#deadlineTimer = null;
    this.#deadlineAt = Infinity;
    const t = now();
    let next = Infinity;
    const expired = [];
    for (const [timeoutMs, watched] of this.#deadlines) {
      for (const request of watched) {
        if (request.deadline > t) {
          next = Math.min(next, request.deadline);
          break;
        }
        expired.push(request);
      }
      if (watched.size === 0) this.#deadlines.delete(timeoutMs);
    }
    expired.sort((a, b) => a.deadline - b.deadline);
    for (const request of expired) this.#expire(request);
    if (next < this.#deadlineAt) this.#armDeadlines(next);
  }

  #expire(request) {
    if (request.done) return;
    ++this.stats.timedOut;
    if (request.abort) request.abort();
    this.#fail(request, new TimeoutError(request.timeoutMs, request.kind === 'infer' ? 'fetch' : this.wire));
  }

  #cancel(request) {
    if (request.done) return;
    if (request.abort) request.abort();
    this.#fail(request, new ClosedError('the request was aborted'));
  }

  // The connection `request` was out on went before its answer came: it is sent again once,
  // when there is somewhere to send it, unless it was sent again already.
  #lost(request, why) {
    if (request.done) return;
    this.#unplace(request);
    request.abort = null;
    if (request.sends >= 2) {
      this.#fail(request, new ConnectionError(`${why}, after the request had been sent again once`, this.wire));
      return;
    }
    ++this.stats.resent;
    this.#dispatch(request);
  }

  // ---- the WebSocket

  #usesSocket() {
    return this.#wire !== 'fetch' && !this.#fallback;
  }

  #openSocket() {
    if (this.#closed || this.#conn) return;
    clearTimeout(this.#attemptTimer);
    this.#attemptTimer = null;
    const started = now();
    let socket;
    try {
      socket = new this.#WebSocket(this.#urls.ws);
    } catch (error) {
      this.#attemptFailed(started, `cannot open ${this.#urls.ws}: ${error.message}`);
      return;
    }
    const conn = new Conn(socket, started);
    this.#conn = conn;
    socket.binaryType = 'arraybuffer';
    const connectTimeout = Math.max(this.#backoff.minConnectTimeoutMs,
                                    this.#backoff.attempts ? this.#backoff.currentMs : 0);
    conn.connectTimer = setTimeout(() => this.#socketGone(conn, 1006, 'the WebSocket did not open in time'),
                                   connectTimeout);
    socket.onopen = () => this.#socketOpened(conn);
    socket.onmessage = (event) => this.#socketMessage(conn, event.data);
    socket.onerror = () => this.#socketGone(conn, 1006, 'WebSocket error');
    socket.onclose = (event) => this.#socketGone(conn, event.code, event.reason || '');
  }

  #socketOpened(conn) {
    if (conn !== this.#conn) return;
    clearTimeout(conn.connectTimer);
    conn.open = true;
    conn.lastReceived = now();
    this.#backoff.reset();
    this.#upgradeRefusals = 0;
    if (this.stats.connects++ > 0) ++this.stats.reconnects;
    if (this.#fallback) this.#fallback = false;
    this.#startHeartbeat(conn);
    this.#emit('open', {wire: this.wire, fallback: false});
    // Requests that waited: the oldest first (those sent before and lost, then the rest).
    const waiting = [...this.#socketQueue, ...[...this.#httpQueue].filter((r) => r.kind === 'predict')]
        .sort((a, b) => a.id - b.id);
    for (const request of waiting) {
      this.#unplace(request);
      if (conn === this.#conn && conn.open) this.#sendOnSocket(conn, request); else this.#dispatch(request);
    }
    for (const waiter of this.#openWaiters.splice(0)) waiter.resolve(this.wire);
  }

  #sendOnSocket(conn, request) {
    if (conn.socket.readyState !== undefined && conn.socket.readyState !== OPEN) {
      // Closing: the server's Close came after its last answer, and the close event follows. The
      // request waits for the next socket (a browser would refuse the send, and log it).
      this.#socketQueue.add(request);
      if (!conn.closingTimer) {
        conn.closingTimer = setTimeout(() => this.#socketGone(conn, 1006, 'the WebSocket did not finish closing'),
                                       CLOSING_TIMEOUT_MS);
      }
      return;
    }
    let message;
    try {
      message = this.#binary
        ? encodeBinary(request.id, request.model, request.shape)
        : predictJson(request.id, request.model, request.shape);
    } catch (error) {
      this.#fail(request, error instanceof PredictwireError ? error
                          : new PredictwireError(error.message, {code: Code.INVALID_ARGUMENT, wire: this.wire}));
      return;
    }
    request.conn = conn;
    request.sentAt = now();
    conn.inFlight.add(request);
    ++request.sends;
    ++this.stats.sent;
    try {
      conn.socket.send(message);
    } catch (error) {
      this.#socketGone(conn, 1006, `send failed: ${error.message}`);
    }
  }

  #socketMessage(conn, data) {
    conn.lastReceived = now();
    this.#pongSeen(conn);
    let reply;
    try {
      if (typeof data === 'string') {
        reply = JSON.parse(data);
      } else {
        reply = decodeBinaryReply(data instanceof ArrayBuffer ? data : toArrayBuffer(data));
        if (reply.status !== 0) reply.code = reply.status;
      }
    } catch {
      return;  // nothing to match it to
    }
    const request = this.#pending.get(Number(reply.id));
    if (!request || request.conn !== conn) {
      ++this.stats.late;  // its request timed out, or was settled another way
      return;
    }
    if (reply.error !== undefined) {
      const code = Number(reply.code) || Code.UNKNOWN;
      if (code === Code.UNAVAILABLE) {
        // The server is stopping: its socket takes nothing more and is left once its answers
        // are in; the request goes again, on a new socket.
        this.#retire(conn, 'the server is stopping');
        this.#lost(request, 'the server was stopping');
        return;
      }
      this.#fail(request, new PredictwireError(reply.error, {code, fromServer: true, wire: this.wire}));
      return;
    }
    const predictions = this.#binary && !(reply.predictions instanceof Float32Array)
      ? Float32Array.from(reply.predictions) : reply.predictions;
    this.#answer(request, {
      model: reply.model ?? (request.model || null),
      predictions,
      timing: reply.timing,
      wire: this.#binary ? 'ws-binary' : 'ws',
    });
  }

  // `conn`'s server is stopping: new requests go to a new socket at once, while `conn` finishes
  // what it has out and is closed when nothing is left on it.
  #retire(conn, reason) {
    if (conn !== this.#conn) return;
    this.#conn = null;
    this.#stopTimers(conn);
    this.#retiring.add(conn);
    this.#emit('close', {wire: this.wire, code: 1001, reason});
    this.#scheduleAttempt(this.#backoff.first());
    this.#retireIfDone(conn);
  }

  #retireIfDone(conn) {
    if (conn.inFlight.size) return;
    this.#retiring.delete(conn);
    this.#forget(conn.socket);
    try { conn.socket.close(1000, ''); } catch { /* closed already */ }
  }

  // `conn`'s socket closed, failed, timed out opening or went silent. Idempotent.
  #socketGone(conn, code, reason) {
    const retired = this.#retiring.delete(conn);
    if (conn !== this.#conn && !retired) return;
    const wasOpen = conn.open;
    this.#stopTimers(conn);
    this.#forget(conn.socket);
    try {
      if (typeof conn.socket.terminate === 'function') conn.socket.terminate(); else conn.socket.close();
    } catch { /* closed already */ }
    conn.open = false;
    const lost = [...conn.inFlight].sort((a, b) => a.id - b.id);
    conn.inFlight.clear();
    if (this.#closed) return;
    if (!retired) {
      this.#conn = null;
      if (!wasOpen) {
        this.#attemptFailed(conn.started, reason);
        return;
      }
      this.#emit('close', {wire: this.wire, code, reason});
      // The first attempt at once, jittered; the requests that were out wait for it.
      this.#scheduleAttempt(this.#backoff.first());
    }
    for (const request of lost) {
      request.conn = null;
      this.#lost(request, `the WebSocket closed (${code}${reason ? ' ' + reason : ''})`);
    }
  }

  // Detaches a socket: nothing it does later reaches the client. (Handlers are replaced, not
  // removed: Node's ws throws on an 'error' with no listener.)
  #forget(socket) {
    socket.onopen = noop;
    socket.onmessage = noop;
    socket.onerror = noop;
    socket.onclose = noop;
    if (typeof socket.removeAllListeners === 'function') {
      socket.removeAllListeners('pong');
      if (typeof socket.on === 'function') socket.on('error', noop);
    }
  }

  #attemptFailed(started, reason) {
    if (this.#closed) return;
    const elapsed = now() - (started ?? now());
    if (this.#wire === 'auto' && !this.#fallback) {
      // Is it the WebSocket that fails, or the server? If HTTP answers, it is the upgrade (a
      // proxy that refuses it): fall back to fetch and try the WebSocket again later. Once HTTP
      // answers the WebSocket is tried again at once, so that a server that was just coming
      // back (HTTP up a moment after the WebSocket failed) is not taken for a refusing proxy.
      this.#probe().then((reachable) => {
        if (this.#closed || this.#conn || this.#attemptTimer) return;
        if (!reachable) {
          this.#upgradeRefusals = 0;
          return this.#scheduleAttempt(Math.max(0, this.#backoff.next() - (now() - started)));
        }
        if (++this.#upgradeRefusals >= 2) return this.#enterFallback(reason);
        this.#openSocket();
      });
      return;
    }
    if (this.#fallback) {
      const wait = this.#retryWebSocketMs * (1 + (this.#backoff.random() * 2 - 1) * this.#backoff.jitter);
      this.#scheduleAttempt(wait, false);
      return;
    }
    this.#scheduleAttempt(Math.max(0, this.#backoff.next() - elapsed));
  }

  #scheduleAttempt(delayMs, announce = true) {
    if (this.#closed || this.#attemptTimer || this.#conn) return;
    if (announce) {
      this.#emit('reconnecting', {wire: this.#binary ? 'ws-binary' : 'ws', attempt: this.#backoff.attempts + 1,
                                  delayMs: Math.round(delayMs)});
    }
    this.#attemptTimer = setTimeout(() => {
      this.#attemptTimer = null;
      this.#openSocket();
    }, delayMs);
  }

  #enterFallback(reason) {
    this.#fallback = true;
    ++this.stats.fallbacks;
    this.#httpUp = true;
    this.#emit('fallback', {reason});
    this.#emit('open', {wire: 'fetch', fallback: true});
    const waiting = [...this.#socketQueue].sort((a, b) => a.id - b.id);
    this.#socketQueue.clear();
    for (const request of waiting) this.#dispatch(request);
    for (const waiter of this.#openWaiters.splice(0)) waiter.resolve('fetch');
    this.#attemptFailed(now(), reason);  // schedules the next WebSocket attempt
  }

  // ---- heartbeat: a socket that falls silent is replaced

  #startHeartbeat(conn) {
    if (!this.#heartbeat) return;
    const {intervalMs, timeoutMs} = this.#heartbeat;
    const socket = conn.socket;
    // Node's ws can ping, and hears the pong: a socket that misses one is dead. A browser can do
    // neither; there the client watches its own traffic: a socket on which a request has waited
    // timeoutMs while nothing at all arrived is taken for dead.
    const pings = typeof socket.ping === 'function' && typeof socket.on === 'function';
    if (pings) socket.on('pong', () => this.#pongSeen(conn));
    conn.heartbeat = setInterval(() => {
      if (conn !== this.#conn || !conn.open) return;
      if (pings) {
        if (conn.pongTimer) return;
        conn.pongTimer = setTimeout(() => this.#socketGone(conn, 1006, `no pong within ${timeoutMs} ms`), timeoutMs);
        try { socket.ping(); } catch { /* the close will tell */ }
        return;
      }
      let oldest = Infinity;
      for (const request of conn.inFlight) oldest = Math.min(oldest, request.sentAt);
      const t = now();
      if (conn.inFlight.size && t - conn.lastReceived > timeoutMs && t - oldest > timeoutMs) {
        this.#socketGone(conn, 1006, `nothing received for ${timeoutMs} ms with requests out`);
      }
    }, intervalMs);
  }

  #pongSeen(conn) {
    if (!conn.pongTimer) return;
    clearTimeout(conn.pongTimer);
    conn.pongTimer = null;
  }

  #stopTimers(conn) {
    clearTimeout(conn.connectTimer);
    clearTimeout(conn.closingTimer);
    clearInterval(conn.heartbeat);
    conn.heartbeat = null;
    this.#pongSeen(conn);
  }

  // ---- fetch

  async #sendFetch(request) {
    const predict = request.kind === 'predict';
    const url = predict ? `${this.#urls.http}/predict`
                        : `${this.#urls.http}/v2/models/${encodeURIComponent(request.model)}/infer`;
    const body = predict ? predictJson(undefined, request.model, request.shape) : request.shape;
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    request.abort = controller ? () => controller.abort() : null;
    ++request.sends;
    ++this.stats.sent;
    let response, text;
    try {
      response = await this.#fetch(url, {method: 'POST', headers: {'content-type': 'application/json'}, body,
                                         signal: controller ? controller.signal : undefined});
      text = await response.text();
    } catch (error) {
      if (request.done) return;
      this.#httpDown(`fetch failed: ${error.message}`);
      this.#lost(request, `fetch failed (${error.message})`);
      return;
    }
    request.abort = null;
    if (request.done) {
      ++this.stats.late;
      return;
    }
    let reply = null;
    try { reply = JSON.parse(text); } catch { /* an error page */ }
    if (!response.ok) {
      const message = (reply && reply.error) || `HTTP ${response.status}`;
      const code = codeOfHttpStatus(response.status, message);
      if (code === Code.UNAVAILABLE) {
        this.#httpDown('the server was stopping');
        this.#lost(request, 'the server was stopping');
        return;
      }
      this.#fail(request, new PredictwireError(message, {code, httpStatus: response.status, fromServer: true, wire: 'fetch'}));
      return;
    }
    if (!reply) {
      this.#fail(request, new PredictwireError('the answer is not JSON', {code: Code.INTERNAL, wire: 'fetch'}));
      return;
    }
    if (!predict) return this.#answer(request, reply);
    this.#answer(request, {
      model: reply.model,
      predictions: this.#binary ? Float32Array.from(reply.predictions) : reply.predictions,
      timing: reply.timing,
      wire: 'fetch',
    });
  }

  // The HTTP path failed: requests wait until a probe of /v2/health/ready answers, tried with
  // the same backoff as the WebSocket.
  #httpDown(reason) {
    if (!this.#httpUp || this.#closed) return;
    this.#httpUp = false;
    if (!this.#usesSocket()) this.#emit('close', {wire: 'fetch', code: 1006, reason});
    this.#httpBackoff.reset();
    const retry = (delay) => {
      if (!this.#usesSocket()) {
        this.#emit('reconnecting', {wire: 'fetch', attempt: this.#httpBackoff.attempts + 1, delayMs: Math.round(delay)});
      }
      this.#probeTimer = setTimeout(async () => {
        const started = now();
        const up = await this.#probe();
        if (this.#closed) return;
        if (up) return this.#httpBack();
        retry(Math.max(0, this.#httpBackoff.next() - (now() - started)));
      }, delay);
    };
    retry(this.#httpBackoff.first());
  }

  #httpBack() {
    this.#httpUp = true;
    this.#httpBackoff.reset();
    if (!this.#usesSocket()) {
      if (this.stats.connects++ > 0) ++this.stats.reconnects;
      this.#emit('open', {wire: 'fetch', fallback: this.#fallback});
      for (const waiter of this.#openWaiters.splice(0)) waiter.resolve(this.wire);
    }
    const waiting = [...this.#httpQueue].sort((a, b) => a.id - b.id);
    this.#httpQueue.clear();
    for (const request of waiting) this.#dispatch(request);
    // Back from an outage while on fetch: the WebSocket may work now too.
    if (this.#fallback && !this.#conn) {
      clearTimeout(this.#attemptTimer);
      this.#attemptTimer = null;
      this.#openSocket();
    }
  }

  // Whether the server answers over HTTP: GET /v2/health/ready is 200.
  async #probe() {
    if (!this.#fetch) return false;
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = setTimeout(() => controller && controller.abort(), this.#backoff.minConnectTimeoutMs);
    try {
      const response = await this.#fetch(`${this.#urls.http}/v2/health/ready`,
                                         {signal: controller ? controller.signal : undefined});
      await response.arrayBuffer().catch(noop);
      return response.ok;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  #emit(name, event) {
    for (const listener of [...(this.#listeners.get(name) || [])]) {
      try {
        listener(event);
      } catch (error) {
        // A listener's mistake is its own: report it without breaking the client.
        queueMicrotask(() => { throw error; });
      }
    }
  }
}

function toArrayBuffer(data) {
  if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  if (Array.isArray(data)) return toArrayBuffer(concatBytes(data));  // ws's fragments
  return data;
}

function concatBytes(chunks) {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
