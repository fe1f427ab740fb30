// index.d.ts -- types of the deskmock package (index.js).

/** Options of startDeskmock: each maps to a `deskmock serve` flag. */
export interface StartOptions {
  /** The deskmock binary; default $DESKMOCK_BIN, else `deskmock` on the PATH. */
  bin?: string;
  /** --seed: the id generator's seed (default 1); the same seed gives the same ids. */
  seed?: number;
  /** --clock: "virtual" stands still until advanceClock() (default "real"). */
  clock?: 'real' | 'virtual';
  /** --clock-start: a virtual clock's start, e.g. "2026-01-01T00:00:00.000Z". */
  clockStart?: string;
  /** --prev-state: prevState holds the whole previous resource, or only what changed. */
  prevState?: 'full' | 'changed';
  /** --delivery-timeout: a receiver slower than this fails the attempt (default 5000). */
  deliveryTimeoutMs?: number;
  /** --retry-schedule: "0,1s,30s", "none", or delays in ms ([] is none). */
  retrySchedule?: string | number[];
  /** --batch-max: events per POST, at most (default 1). */
  batchMax?: number;
  /** --batch-window: how long to wait for a batch to fill (default 0). */
  batchWindowMs?: number;
  /** --org: the org file to start from (default: the built-in org). */
  org?: string;
  /** --fixtures: folders of your own event fixtures. */
  fixtures?: string[];
  /** --journal: also append every journal record to this file as JSON lines. */
  journal?: string;
  /** --invoke-passthrough: forward unstubbed invoke calls to loopback URLs. */
  invokePassthrough?: boolean;
  /** Any other `deskmock serve` arguments, as given. */
  args?: string[];
}

export interface AttachOptions {
  /** The deskmock binary that judges expectations; as for StartOptions. */
  bin?: string;
}

/** Starts `deskmock serve --port 0` and resolves once it is ready. */
export function startDeskmock(options?: StartOptions): Promise<Deskmock>;
/** Attaches to a running mock by its base URL. */
export function attachDeskmock(url: string, options?: AttachOptions): Promise<Deskmock>;

/** An expectation that was not met: the message is deskmock's report, which
 * quotes the mock's journal. */
export class DeskmockExpectationError extends Error {
  name: 'DeskmockExpectationError';
  /** "delivered", "call", "no-call", "no-loop", "no-duplicate-writes", "refused" */
  verb: string;
  report: string;
}

export interface Response {
  status: number;
  body: string;
  /** The body parsed, or null when it is not JSON. */
  json: any;
}

export interface ApiOptions {
  /** A role ("admin", "agent", "viewer") or a token; none for the control API. */
  as?: string;
  headers?: Record<string, string>;
}

export interface InstallOptions {
  /** Your extension's folder (plugin-manifest.json, resources.json). */
  extensionDir?: string;
  /** Instead of extensionDir: the two files' contents. */
  manifest?: object;
  resources?: object;
  /** Where deliveries go: the receiver. The mock adds orgId and securityContext. */
  webhookUrl?: string;
  /** Gets {orgId, securityContext, installationId} on install (onDeskAuthorise). */
  authoriseUrl?: string;
  /** Likewise on uninstall. */
  uninstallUrl?: string;
  /** The chosen departments' ids; default all. */
  departments?: string[];
  configParams?: Array<{ name: string; value: unknown }>;
}

export interface Installation {
  id: string;
  securityContext: string;
  webhookId: string;
  /** The extension's own Desk API token. */
  token: string;
}

export interface ForgeOptions {
  webhookId: string;
  jwt?:
    | 'valid' | 'none' | 'expired' | 'not-yet-valid' | 'bad-signature' | 'wrong-audience'
    | 'wrong-issuer' | 'alg-none' | 'hs256-public-key' | 'unknown-kid';
  /** Replaces URL parameters, e.g. {securityContext: "0000"}. */
  query?: Record<string, string>;
  /** The body: events (a JSON array) ... */
  events?: object[];
  /** ... or any raw text. */
  body?: string;
}

export interface Forged {
  /** The receiver's answer; 0 when none came. */
  status: number;
  /** The seq of the "forged" journal record, for expectRefused. */
  forged: number;
}

export interface JournalQuery {
  after?: number;
  /** Comma-separated kinds: "event,attempt". */
  kind?: string;
  /** Wait up to this many ms for the first record to come. */
  wait?: number;
  cause?: number;
  limit?: number;
}

/** A journal record: seq, kind, time, cause, and the kind's own fields. */
export interface JournalRecord {
  seq: number;
  kind: string;
  time: string;
  cause: number | null;
  [field: string]: any;
}

export interface Since {
  /** Only what was journaled after this seq counts: take it with mark(). */
  after: number;
}

export interface ExpectDeliveredOptions extends Since {
  /** One {path: value} the payload must hold, e.g. {status: "Closed"}, {"cf.cf_region": "EU"}. */
  where?: Record<string, unknown>;
  /** Answered 200 within this many ms (default: the mock's delivery timeout). */
  withinMs?: number;
  /** How long to wait for it (default 10000). */
  timeoutMs?: number;
}

export interface CallMatch extends Since {
  method?: string;
  /** A glob on the called URL; '*' matches anything. Invoke URLs are whole: begin with '*'. */
  url?: string;
}

export interface ExpectCallOptions extends CallMatch {
  /** At least this many calls (default 1). */
  min?: number;
  timeoutMs?: number;
}

export interface QuietOptions {
  /** Watch until nothing has been journaled for this many ms (default 500). */
  quietMs?: number;
}

export interface ConformanceOptions {
  /** The receiver's webhook URL. */
  receiver: string;
  /** Its onDeskAuthorise URL; without it, cases that need it are skipped. */
  authoriseUrl?: string;
  /** Install this extension instead of the built-in conformance one. */
  extensionDir?: string;
  /** Folders of your own scenarios. */
  scenarios?: string | string[];
  /** Run only these scenarios, by name. */
  only?: string | string[];
  /** The receiver does not verify deliveries: skip the forged-delivery cases. */
  noVerification?: boolean;
  /** Attach through a plain webhook instead of an extension: the one at
   * `receiver` that exists, or the one the receiver creates (POST
   * /api/v1/webhooks with `tokens.admin`) within `waitSeconds`. */
  plain?: boolean;
  /** With `plain`: check creates the webhook for these event types. */
  subscribe?: string | string[];
  /** Drive this existing webhook of the mock (by id). */
  webhook?: string;
  /** How long `plain` waits for the receiver's webhook (30). */
  waitSeconds?: number;
  /** Write what the receiver must be configured with (orgId, webhookId,
   * jwksUrl, token, ...) to this file as JSON, before the first case. */
  configOut?: string;
}

export interface ConformanceCase {
  name: string;
  source: string;
  outcome: 'pass' | 'fail' | 'skip';
  seconds: number;
  /** The report's first line: why it failed or was skipped ('' for a pass). */
  message: string;
  report: string;
}

export interface ConformanceResult {
  receiver: string;
  mock: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  cases: ConformanceCase[];
}

export interface TriggerAnswer {
  events: Array<{ seq: number; eventType: string; webhooks: object[] }>;
  resource?: any;
  [field: string]: any;
}

export class Deskmock {
  private constructor();
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  readonly orgId: string;
  /** role -> OAuth token */
  readonly tokens: Record<string, string>;

  /** Stops a started mock (SIGTERM, waits for it to exit); detaches from an attached one. */
  stop(): Promise<void>;

  /** Any route of the mock; resolves whatever the status. */
  api(method: string, path: string, body?: unknown, options?: ApiOptions): Promise<Response>;

  installExtension(options: InstallOptions): Promise<Installation>;
  uninstall(installationId: string): Promise<void>;
  /** POST /api/v1/webhooks, as admin unless told. */
  createWebhook(webhook: object, options?: ApiOptions): Promise<any>;

  /** POST /mock/v1/events. */
  trigger(request: object): Promise<TriggerAnswer>;
  /** Raises a fixture ("Ticket_Update/status-closed") with set applied to its payload. */
  fixture(name: string, set?: Record<string, unknown>): Promise<TriggerAnswer>;
  /** PUT /mock/v1/faults */
  faults(faults: object): Promise<any>;
  /** POST /mock/v1/invoke-stubs */
  stub(stub: object): Promise<any>;
  /** PUT /mock/v1/settings */
  settings(settings: object): Promise<any>;
  /** Moves a virtual clock. */
  advanceClock(ms: number): Promise<{ mode: string; now: string; nowMs: number; timers: number }>;
  /** POST /mock/v1/reset */
  reset(): Promise<void>;

  /** The journal's last seq now. */
  mark(): Promise<number>;
  forge(options: ForgeOptions): Promise<Forged>;
  journal(query?: JournalQuery): Promise<JournalRecord[]>;

  /** Each rejects with DeskmockExpectationError when not met. */
  expectDelivered(eventType: string, options: ExpectDeliveredOptions): Promise<void>;
  expectCall(options: ExpectCallOptions): Promise<void>;
  expectNoCall(options: CallMatch & QuietOptions): Promise<void>;
  expectNoLoop(options: Since & QuietOptions): Promise<void>;
  expectNoDuplicateWrites(options: Since & QuietOptions): Promise<void>;
  expectRefused(forged: number, options?: QuietOptions): Promise<void>;

  /** Runs `deskmock check` on this mock (reset once, the extension installed
   * once); `cases[0]` is `preflight`; failed cases are in the result, not
   * thrown. */
  runConformance(options: ConformanceOptions): Promise<ConformanceResult>;
}
