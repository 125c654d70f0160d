// TypeScript declarations for predictwire.js: the client of a predictwire prediction server.

export declare const VERSION: string;

/** The canonical status codes (gRPC's) the server uses on every wire. */
export declare const Code: Readonly<{
  OK: 0; CANCELLED: 1; UNKNOWN: 2; INVALID_ARGUMENT: 3; DEADLINE_EXCEEDED: 4; NOT_FOUND: 5;
  PERMISSION_DENIED: 7; RESOURCE_EXHAUSTED: 8; FAILED_PRECONDITION: 9; UNIMPLEMENTED: 12;
  INTERNAL: 13; UNAVAILABLE: 14;
}>;

export type Wire = 'ws' | 'ws-binary' | 'fetch';

/** Every failure of a request. */
export declare class PredictwireError extends Error {
  /** The canonical code: the WebSocket error's `code`, the binary status byte, gRPC's status. */
  readonly code: number;
  /** Its name: 'NOT_FOUND', 'DEADLINE_EXCEEDED', ... */
  readonly codeName: string;
  /** The HTTP status the server answers this code with (404, 504, ...); 499 for ClosedError. */
  readonly httpStatus: number;
  /** Whether the server answered with this error (false: a timeout, a lost connection, close()). */
  readonly fromServer: boolean;
  /** The wire the request went over. */
  readonly wire?: Wire;
  constructor(message: string, options?: {code?: number; httpStatus?: number; fromServer?: boolean;
                                          wire?: Wire; cause?: unknown});
}

/** The request's deadline (timeoutMs) passed first; an answer arriving later is ignored. Code 4. */
export declare class TimeoutError extends PredictwireError {
  readonly timeoutMs: number;
}

/** The connection went while the request was out, after it had been sent again once. Code 14. */
export declare class ConnectionError extends PredictwireError {}

/** close() was called, or the request's AbortSignal fired. Code 1. */
export declare class ClosedError extends PredictwireError {}

/** The code of an HTTP error answer (503 reads the message: stopping or overloaded). */
export declare function codeOfHttpStatus(status: number, message?: string): number;

export interface BackoffOptions {
  /** The first wait after a failed attempt. Default 1000. */
  initialMs?: number;
  /** Each next wait is this many times the last. Default 1.6. */
  multiplier?: number;
  /** Each wait is spread by ± this share of itself. Default 0.2. */
  jitter?: number;
  /** The longest wait. Default 120000. */
  maxMs?: number;
  /** The least time an attempt to connect is given. Default 20000. */
  minConnectTimeoutMs?: number;
}

/** gRPC's connection backoff. */
export declare class Backoff {
  constructor(options?: BackoffOptions, random?: () => number);
  readonly attempts: number;
  /** The wait before the next attempt, from the start of the one that failed. */
  next(): number;
  /** The wait before the first attempt after a connection that was up is lost: 0..jitter × initialMs. */
  first(): number;
  reset(): void;
}

export interface HeartbeatOptions {
  /** How often the socket is checked. Default 15000. */
  intervalMs?: number;
  /**
   * With a WebSocket that can ping (Node's ws): how long a pong may take. In a browser, which can
   * neither ping nor see a pong: how long a request may wait while nothing at all arrives on the
   * socket before it is taken for dead. Default 10000.
   */
  timeoutMs?: number;
}

/** A WebSocket constructor: the browser's, or Node's ws package's. */
export type WebSocketConstructor = new (url: string) => any;

export interface ConnectOptions {
  /** 'auto' (default): WebSocket, falling back to fetch when a WebSocket cannot be opened. */
  wire?: Wire | 'auto';
  /** With 'auto': use WebSocket binary messages (Float32Array predictions on every wire). */
  binary?: boolean;
  /** The model requests name unless they say otherwise; default: the server's default model. */
  model?: string;
  /** Each request's deadline; 0 or Infinity for none. Default 10000. */
  timeoutMs?: number;
  /** The WebSocket implementation; default globalThis.WebSocket (none in Node before 22). */
  WebSocket?: WebSocketConstructor | null;
  /** The fetch implementation; default globalThis.fetch. */
  fetch?: typeof globalThis.fetch | null;
  backoff?: BackoffOptions;
  /** false turns it off. */
  heartbeat?: HeartbeatOptions | false;
  /** With 'auto' on fetch: how long before the WebSocket is tried again (±jitter). Default 30000. */
  retryWebSocketMs?: number;
}

export interface Timing {
  /** Microseconds the request waited for the model. */
  queue_us: number;
  /** Microseconds the model took. */
  compute_us: number;
}

export interface Answer<P = number[] | Float32Array> {
  /** The model that answered; null over ws-binary when the request named none. */
  model: string | null;
  /** One prediction per row: a Float32Array on a binary client, else numbers. */
  predictions: P;
  timing: Timing;
  wire: Wire;
}

export interface PredictOptions {
  model?: string;
  timeoutMs?: number;
  /** How many rows a flat array or Float32Array of features holds. Default 1. */
  rows?: number;
  signal?: AbortSignal;
}

export type Features = number[] | number[][] | Float32Array | ArrayLike<number>[];

export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data?: number[] | number[][] | boolean[] | ArrayBufferView;
  parameters?: Record<string, unknown>;
}

export interface V2Request {
  id?: string;
  inputs: V2Tensor[];
  outputs?: {name: string; parameters?: Record<string, unknown>}[];
  parameters?: Record<string, unknown>;
}

export interface V2Response {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: Timing & Record<string, unknown>;
  outputs: {name: string; datatype: string; shape: number[]; data: number[]}[];
}

export interface ClientStats {
  sent: number; resent: number; answered: number; failed: number; timedOut: number; late: number;
  connects: number; reconnects: number; fallbacks: number; settledTwice: number;
}

export interface ClientEvents {
  open: {wire: Wire; fallback: boolean};
  close: {wire: Wire; code: number; reason: string};
  reconnecting: {wire: Wire; attempt: number; delayMs: number};
  fallback: {reason: string};
}

export declare class Client {
  constructor(url?: string, options?: ConnectOptions);
  /** The wire requests go over now. */
  readonly wire: Wire;
  readonly state: 'connecting' | 'open' | 'reconnecting' | 'fallback' | 'closed';
  /** Requests not yet settled. */
  readonly pending: number;
  readonly stats: ClientStats;
  on<K extends keyof ClientEvents>(name: K, listener: (event: ClientEvents[K]) => void): () => void;
  off<K extends keyof ClientEvents>(name: K, listener: (event: ClientEvents[K]) => void): void;
  /** Resolves once requests can go out; rejects if the client is closed first. */
  opened(): Promise<Wire>;
  predict(features: Features, options?: PredictOptions): Promise<Answer>;
  /** An Open Inference Protocol v2 request, sent over fetch whatever the wire. */
  infer(request: V2Request, options?: {model?: string; timeoutMs?: number; signal?: AbortSignal}): Promise<V2Response>;
  /** Closes the socket and rejects every pending request with a ClosedError. */
  close(): void;
}

/**
 * A client of the server at `url`: its HTTP base ("http://host:8000") or its WebSocket
 * ("ws://host:8000/ws"); in a page, default the page's own server.
 */
export declare function connect(url?: string, options?: ConnectOptions): Client;

/** The binary WebSocket request: a 20-byte header, the model's name, float32 features. */
export declare function encodeBinaryRequest(id: number, model: string | undefined, features: Features,
                                            rows?: number): ArrayBuffer;

/** A binary WebSocket reply. */
export declare function decodeBinaryReply(data: ArrayBuffer): {
  id: number; status: number; timing: Timing; predictions?: Float32Array; error?: string;
};
