// WorkflowEngine console: the workflow list and workflow pages, followed live over server-sent
// events. Plain ES2022, no build step, no dependencies: served as is by workflowd.
//
// Layout of this file, top to bottom:
//   formatting and DOM helpers; the JSON API (with the CSRF token); LiveStream (an EventSource
//   that resumes by sequence); the connection indicator; globalFeed (the one global stream of all
//   the tabs); the session (the login view, who is signed in, sign-out); failure notices;
//   ListView (`#/`: TypeGroups or one flat RowSet); WorkflowView and its LogPane
//   (`#/workflows/<id>`; a step about an asset links to its page, one about an artifact to its
//   download); AssetView (`#/assets/<id>`); the router.
//
// Connections are scarce (six per host for the whole browser): one tab holds the global stream
// for every tab, and a hidden tab holds none of its own.
//
// Server data only ever reaches the page as text (textContent, text nodes, attributes through
// setAttribute/dataset): summaries, messages, errors and stacks are user data.

const API = '/api/v1';

/** Steps kept in the DOM at most; older or newer ones are read again when scrolled to. */
const LOG_WINDOW = 500;
/** Steps read per page of the log. */
const LOG_PAGE = 200;
/** Workflows read per page of the list. */
const LIST_PAGE = 50;
/** Rows a row set holds beyond those its pages read: new ones push the oldest out past that. */
const LIVE_ROWS_EXTRA = 200;
/** Workflows the list reads one by one after they changed; more at once, it reads pages again. */
const FLUSH_BATCH = 24;

// ---------------------------------------------------------------------------------------------
// Status, level and kind names

const WORKFLOW_STATUSES = ['RUNNING', 'FAILED', 'COMPLETED', 'CANCELLED'];

const STATUS_LOOK = {
  PENDING: { symbol: '○', label: 'Pending' },
  RUNNING: { symbol: '●', label: 'Running' },
  COMPLETED: { symbol: '✓', label: 'Completed' },
  FAILED: { symbol: '✗', label: 'Failed' },
  CANCELLED: { symbol: '⊘', label: 'Cancelled' },
  UNSPECIFIED: { symbol: '?', label: 'Unknown' },
};

const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

const OUTCOME_LABEL = {
  JOB_ATTEMPT_OUTCOME_FAILED: 'Failed',
  JOB_ATTEMPT_OUTCOME_TIMED_OUT: 'Timed out',
  JOB_ATTEMPT_OUTCOME_INTERRUPTED: 'Interrupted',
};

const KIND = Object.freeze({
  WORKFLOW_STARTED: 'LOG_EVENT_KIND_WORKFLOW_STARTED',
  WORKFLOW_COMPLETED: 'LOG_EVENT_KIND_WORKFLOW_COMPLETED',
  WORKFLOW_FAILED: 'LOG_EVENT_KIND_WORKFLOW_FAILED',
  WORKFLOW_CANCELLED: 'LOG_EVENT_KIND_WORKFLOW_CANCELLED',
  JOB_STARTED: 'LOG_EVENT_KIND_JOB_STARTED',
  JOB_COMPLETED: 'LOG_EVENT_KIND_JOB_COMPLETED',
  JOB_FAILED: 'LOG_EVENT_KIND_JOB_FAILED',
  JOB_CANCELLED: 'LOG_EVENT_KIND_JOB_CANCELLED',
  STEP_LOGGED: 'LOG_EVENT_KIND_STEP_LOGGED',
  PROGRESS_UPDATED: 'LOG_EVENT_KIND_PROGRESS_UPDATED',
  FAILURE_NOTICE: 'LOG_EVENT_KIND_FAILURE_NOTICE',
  GAP: 'LOG_EVENT_KIND_GAP',
  WORKFLOW_RETRIED: 'LOG_EVENT_KIND_WORKFLOW_RETRIED',
  JOB_RETRY_SCHEDULED: 'LOG_EVENT_KIND_JOB_RETRY_SCHEDULED',
  JOB_INTERRUPTED: 'LOG_EVENT_KIND_JOB_INTERRUPTED',
  WORKFLOW_CANCEL_REQUESTED: 'LOG_EVENT_KIND_WORKFLOW_CANCEL_REQUESTED',
  JOB_ASSIGNED: 'LOG_EVENT_KIND_JOB_ASSIGNED',
  STATS_UPDATED: 'LOG_EVENT_KIND_STATS_UPDATED',
});

/** What the global subscription asks for: list liveness and failure notices, never steps. */
const GLOBAL_KINDS = [
  KIND.WORKFLOW_STARTED, KIND.WORKFLOW_COMPLETED, KIND.WORKFLOW_FAILED, KIND.WORKFLOW_CANCELLED,
  KIND.WORKFLOW_RETRIED, KIND.WORKFLOW_CANCEL_REQUESTED, KIND.FAILURE_NOTICE,
  KIND.JOB_STARTED, KIND.JOB_COMPLETED, KIND.JOB_FAILED,
];

/** Everything about one workflow but its steps: what its page's state follows while the log is filtered. */
const STATE_KINDS = Object.values(KIND).filter((k) => k !== KIND.STEP_LOGGED && k !== KIND.GAP);

/** `WORKFLOW_STATUS_RUNNING` → `RUNNING`; `JOB_STATUS_FAILED` → `FAILED`; `LOG_LEVEL_WARN` → `WARN`. */
function short(name) {
  if (!name) return 'UNSPECIFIED';
  return name.replace(/^(WORKFLOW_STATUS|JOB_STATUS|LOG_LEVEL)_/, '');
}

const isTerminal = (status) => status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';

// ---------------------------------------------------------------------------------------------
// Formatting: cheap, no Intl in hot paths

const num = (value) => Number(value ?? 0) || 0;
const pad2 = (n) => (n < 10 ? '0' : '') + n;
const pad3 = (n) => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

/** `14:03:07` */
function clockTime(ms) {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** `14:03:07.123`, for log lines. */
function clockTimeMs(ms) {
  return `${clockTime(ms)}.${pad3(ms % 1000)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `14:03:07` today, `Mar 4 14:03` another day of this year, `Mar 4 2025 14:03` before. */
function shortDateTime(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return clockTime(ms);
  const day = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
  const year = d.getFullYear() === now.getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `${day}${year} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** `2026-03-04 14:03:07.123`, for titles. */
function fullDateTime(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clockTimeMs(ms)}`;
}

/** `850 ms`, `12.3 s`, `4m 05s`, `2h 03m`, `3d 04h`. */
function formatDuration(ms) {
  ms = Math.max(0, Math.round(ms));
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.floor(s);
  const m = Math.floor(total / 60);
  if (m < 60) return `${m}m ${pad2(total % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad2(h % 24)}h`;
}

function formatCount(n) {
  return Number(n).toLocaleString('en-US');
}

/** A workflow's duration so far: from its start to its end, or to now while it runs. */
function workflowDuration(wf, now = Date.now()) {
  const start = num(wf.started_at_ms) || num(wf.created_at_ms);
  if (!start) return 0;
  const end = num(wf.finished_at_ms) || (isTerminal(short(wf.status)) ? start : now);
  return end - start;
}

// ---------------------------------------------------------------------------------------------
// DOM helpers

/**
 * Creates an element. `props`: `class`, `text` (textContent), `testid`, `data` (dataset),
 * `on<event>` listeners, `hidden`, anything else as an attribute. Children: nodes or strings
 * (as text nodes); null, undefined and false are skipped.
 */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'testid') node.dataset.testid = value;
    else if (key === 'data') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'hidden') node.hidden = true;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

/** Runs `fn` on the next frame, or soon while the tab is hidden (frames stop then). */
function nextFrame(fn) {
  if (document.hidden) setTimeout(fn, 200);
  else requestAnimationFrame(fn);
}

function statusSymbol(status, extraClass = '') {
  const look = STATUS_LOOK[status] ?? STATUS_LOOK.UNSPECIFIED;
  const props = { class: `sym st-${status.toLowerCase()} ${extraClass}`, role: 'img', title: look.label, 'aria-label': look.label };
  return h('span', props, look.symbol);
}

/** A progress bar; `label` is its accessible name. */
function progressBar(fraction, testid, label) {
  const fill = h('span', { class: 'progress-fill' });
  const props = { class: 'progress', testid, role: 'progressbar', 'aria-label': label, 'aria-valuemin': '0', 'aria-valuemax': '100' };
  const bar = h('span', props, fill);
  setProgress(bar, fraction);
  return bar;
}

/** Hides or shows a control; a focused one hands its focus to `fallback` first (else it is lost). */
function setHidden(node, hidden, fallback) {
  if (hidden && !node.hidden && node.contains(document.activeElement)) fallback?.focus({ preventScroll: true });
  node.hidden = hidden;
}

function setProgress(bar, fraction) {
  const f = Math.min(1, Math.max(0, Number(fraction) || 0));
  const pct = Math.round(f * 1000) / 10;
  if (bar.dataset.progress !== String(f)) {
    bar.dataset.progress = String(f);
    bar.firstChild.style.width = `${pct}%`;
    bar.setAttribute('aria-valuenow', String(Math.round(pct)));
  }
}

// ---------------------------------------------------------------------------------------------
// The JSON API

class ApiError extends Error {
  constructor(httpStatus, status, message) {
    super(message);
    this.httpStatus = httpStatus;
    this.status = status;
  }
}

/** `{a: 'x', b: ['1', '2'], c: ''}` → `?a=x&b=1&b=2` (empty values left out). */
function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) value.forEach((v) => search.append(key, v));
    else if (value !== undefined && value !== null && value !== '' && value !== false) search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The login's path under API: `GET` who is signed in, `POST` sign in, `DELETE` sign out. */
const SESSION_PATH = '/session';
/** The cookie, set by the login next to the HTTP-only session cookie, that scripts of this origin can read. */
const CSRF_COOKIE = 'workflow_csrf';
/** Where a request that changes something repeats CSRF_COOKIE (a page of another origin cannot read it). */
const CSRF_HEADER = 'X-CSRF-Token';

/** The value of this page's cookie `name`, or '' without one. */
function readCookie(name) {
  for (const pair of document.cookie.split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
  }
  return '';
}

/**
 * The headers of an API request: its body's type, and on every method but GET and HEAD the CSRF
 * token (without it the server refuses a request its session cookie authenticates).
 */
function requestHeaders(method, hasBody) {
  const headers = {};
  if (hasBody) headers['Content-Type'] = 'application/json';
  const csrf = method === 'GET' || method === 'HEAD' ? '' : readCookie(CSRF_COOKIE);
  if (csrf) headers[CSRF_HEADER] = csrf;
  return headers;
}

/**
 * Calls the JSON API. Resolves with the parsed answer; rejects with an ApiError carrying the
 * message of the server's JSON error body (or a sentence saying the server cannot be reached).
 * A 401 (the session's token expired or was revoked) also ends the session: the login view
 * replaces the app (but not for the login's own requests, which say so themselves).
 */
async function api(path, { method = 'GET', body } = {}) {
  let response;
  try {
    response = await fetch(API + path, {
      method,
      cache: 'no-store',
      headers: requestHeaders(method, body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, 'UNAVAILABLE', 'The server cannot be reached.');
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = null;
  }
  if (!response.ok) {
    const message = json?.message || text.trim() || response.statusText || 'request failed';
    if (response.status === 401 && path !== SESSION_PATH) session.expired(message);
    throw new ApiError(response.status, json?.status ?? `HTTP ${response.status}`, message);
  }
  if (json === null) throw new ApiError(response.status, 'BAD_RESPONSE', 'The server answered with something other than JSON.');
  return json;
}

const workflowPath = (id) => `/workflows/${encodeURIComponent(id)}`;
const artifactHref = (id) => `/api/v1/artifacts/${encodeURIComponent(id)}`;

/** A size for people: "756 B", "12.3 KiB", "4.0 MiB". */
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Where an entity opens: an asset's page (its route `/assets/<id>`), an artifact's download;
 * `null` for other entities (their tag still filters the log).
 */
function entityOpenLink(entity) {
  if (entity.type === 'Asset' && entity.id) {
    return h('a', {
      class: 'log-entity-open', testid: 'entity-open', href: `#/assets/${encodeURIComponent(entity.id)}`,
      title: `Open asset ${entity.tag}`, 'aria-label': `Open asset ${entity.tag}`,
    }, '↗');
  }
  if (entity.type === 'Artifact' && entity.id) {
    return h('a', {
      class: 'log-entity-open', testid: 'entity-download', href: artifactHref(entity.id), download: entity.tag,
      title: `Download ${entity.tag}`, 'aria-label': `Download ${entity.tag}`,
    }, '⤓');
  }
  return null;
}

function describeError(error) {
  if (error instanceof ApiError) return error.httpStatus ? `${error.status}: ${error.message}` : error.message;
  return String(error?.message ?? error);
}

// ---------------------------------------------------------------------------------------------
// The connection indicator

/** Which streams are connected; the header shows whether everything is live. */
const connection = {
  states: new Map(),
  node: null,
  set(stream, state) {
    this.states.set(stream, state);
    this.render();
  },
  remove(stream) {
    this.states.delete(stream);
    this.render();
  },
  render() {
    if (!this.node) return;
    const values = [...this.states.values()];
    const state = values.includes('reconnecting') ? 'reconnecting'
      : values.includes('connecting') ? 'connecting'
      : values.length ? 'live' : 'idle';
    if (this.node.dataset.state === state) return;
    this.node.dataset.state = state;
    setText(this.node.querySelector('.conn-text'), {
      live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', idle: 'Idle',
    }[state]);
    this.node.title = {
      live: 'Following the server live',
      connecting: 'Connecting to the server',
      reconnecting: 'The connection dropped; reconnecting and resuming where it left off',
      idle: 'Not following anything',
    }[state];
  },
};

// ---------------------------------------------------------------------------------------------
// LiveStream: server-sent events that resume by sequence

/** The gRPC status codes this page tells apart (an event stream's `end` event carries one). */
const STATUS = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  /** The server's log is not the one the sequence asked for came from (replaced, or lost events). */
  OUT_OF_RANGE: 11,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  /** The session's token expired or was revoked: the login view replaces the app. */
  UNAUTHENTICATED: 16,
});

/** Status codes after which a stream is opened again (the server restarts, a transient error). */
const RETRIED_END_CODES = new Set([
  STATUS.CANCELLED, STATUS.DEADLINE_EXCEEDED, STATUS.RESOURCE_EXHAUSTED, STATUS.ABORTED, STATUS.INTERNAL, STATUS.UNAVAILABLE,
]);

/** What tells one event from another that was given the same sequence by a restarted server. */
function fingerprint(event) {
  return `${event.kind}|${event.workflow_id}|${event.job_id}|${event.timestamp_ms}|${event.message}`;
}

/**
 * One server-sent event stream of /api/v1/events that survives dropped connections.
 *
 * EventSource reconnects on its own, but gives up for good on some errors (a non-200 answer
 * while the server restarts) and would reconnect after a stream that ended on purpose. So this
 * wrapper closes the EventSource on every error and opens a new one itself, with a backoff
 * capped at 3 s, asking for the events after the last sequence it delivered. An event whose
 * sequence is not above that one is dropped (gap markers, sequence 0, always pass).
 *
 * When a connection fails before it opened, the same request is made once with fetch to tell
 * a server that is away (retry) from one that refuses the request (a 4xx JSON error, e.g.
 * OUT_OF_RANGE after the server's data was replaced): that goes to `onRejected`, except a 401
 * (the session cookie no longer stands for a valid token), which ends the session
 * (`session.expired`) and the stream. EventSource cannot send headers: streams authenticate by
 * the session cookie alone, which the browser sends to the same origin.
 *
 * After a dropped connection (or when started from a `resumePoint()` of an earlier stream) the
 * next connection starts one event early and checks that the event at the last sequence is the
 * one delivered before (`fingerprint`): a server that lost uncommitted events in a crash gives
 * their sequences to new events, and resuming after the last sequence would skip some of them.
 */
class LiveStream {
  /**
   * @param {(after: number) => string} makePath
   *   the events path to open, given the last sequence delivered (0: none yet)
   * @param {{onEvent: Function, onEnd?: Function, onOpen?: Function, onRejected?: Function, onState?: Function}} handlers
   *   - onEvent(event): every event delivered, in order, once.
   *   - onEnd(status): after an `end` event with a final status (OK when a watched workflow
   *     finished); also gets a refusal when there is no onRejected.
   *   - onOpen(reopened): on every (re)connection; `reopened` is false for the first.
   *   - onRejected(status): the server refuses the stream (e.g. OUT_OF_RANGE), or the check one
   *     event early found another log; the stream is not retried unless the handler does.
   *   - onState(state): its connection state changed: 'connecting', 'live', 'reconnecting', or
   *     '' once it no longer runs.
   */
  constructor(makePath, handlers) {
    this.makePath = makePath;
    this.handlers = handlers;
    this.lastSequence = 0;
    /** What identifies the event at `lastSequence` (null before one arrived). */
    this.lastFingerprint = null;
    /** Set by a reconnect: the next connection starts one event early and checks that event. */
    this.verifyNext = false;
    this.ended = false;
    this.closed = false;
    this.source = null;
    this.timer = 0;
    this.failures = 0;
    this.opens = 0;
    /** Bumped by every new connection and by close/reopen: an async step of an older one stops. */
    this.generation = 0;
  }

  /**
   * Opens the stream after a sequence: a number (nothing to check), or a `resumePoint()` of an
   * earlier stream of the same events, whose first connection then checks one event early.
   */
  start(after = 0) {
    if (typeof after === 'object' && after !== null) {
      this.lastSequence = num(after.sequence);
      this.lastFingerprint = after.fingerprint ?? null;
      this.verifyNext = this.lastFingerprint !== null;
    } else {
      this.lastSequence = num(after);
      this.lastFingerprint = null;
    }
    this.connect();
    return this;
  }

  /** Where a later stream of the same events resumes: `{sequence, fingerprint}`. */
  resumePoint() {
    return { sequence: this.lastSequence, fingerprint: this.lastFingerprint };
  }

  close() {
    this.closed = true;
    this.generation += 1;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
    this.setState('');
  }

  /** Opens the stream again at once after the last sequence delivered (e.g. to ask for other kinds). */
  reopen() {
    if (this.closed || this.ended) return;
    this.generation += 1;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
    this.failures = 0;
    // Same server, other filters: the event at lastSequence may not pass them; nothing to check,
    // now or after a later drop, until an event of the new filters is delivered.
    this.verifyNext = false;
    this.lastFingerprint = null;
    this.connect();
  }

  setState(state) {
    if (state) connection.set(this, state);
    else connection.remove(this);
    this.handlers.onState?.(state);
  }

  connect() {
    if (this.closed) return;
    // After a dropped connection, start one event early: if the event at lastSequence is not the
    // one delivered before, the server lost its uncommitted events in a crash and gave their
    // sequences to new ones, and resuming after lastSequence would skip some of those.
    const verifying = this.verifyNext && this.lastFingerprint !== null && this.lastSequence > 1;
    this.verifyNext = false;
    this.generation += 1;
    const source = new EventSource(API + this.makePath(verifying ? this.lastSequence - 1 : this.lastSequence));
    this.source = source;
    let unverified = verifying;
    if (this.opens === 0) this.setState('connecting');
    source.onopen = () => {
      if (this.source !== source) return;
      this.opened = source;
      this.failures = 0;
      this.setState('live');
      this.handlers.onOpen?.(this.opens++ > 0);
    };
    source.onmessage = (message) => {
      if (this.source !== source) return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (unverified) {
        unverified = false;
        if (num(event.sequence) === this.lastSequence && fingerprint(event) === this.lastFingerprint) return;
        source.close();
        this.source = null;
        // Two different causes, both refused as OUT_OF_RANGE (the owner reads everything again):
        // a GAP first means the server no longer retains the event at lastSequence (its
        // retained log moved on while this page was away); another event there means the
        // server lost events in a crash and gave their sequences to new ones.
        const message = event.kind === KIND.GAP
          ? 'the server no longer retains the events after the last one this page read'
          : "the server's log changed since this page read it (a restart after a crash)";
        const changed = { code: STATUS.OUT_OF_RANGE, status: 'OUT_OF_RANGE', message };
        if (this.handlers.onRejected) this.reject(changed);
        else this.handlers.onEnd?.(changed);
        return;
      }
      if (event.kind !== KIND.GAP) {
        const sequence = num(event.sequence);
        if (sequence <= this.lastSequence) return;
        this.lastSequence = sequence;
        this.lastFingerprint = fingerprint(event);
      }
      this.handlers.onEvent(event);
    };
    source.addEventListener('end', (message) => {
      if (this.source !== source) return;
      let status = { code: STATUS.UNKNOWN, status: 'UNKNOWN', message: '' };
      try {
        status = JSON.parse(message.data);
      } catch { /* keep UNKNOWN */ }
      if (RETRIED_END_CODES.has(status.code)) {
        this.retry();
        return;
      }
      source.close();
      this.source = null;
      if (status.code === STATUS.UNAUTHENTICATED) {
        this.close();
        session.expired(status.message);
        return;
      }
      if (status.code !== STATUS.OK && this.handlers.onRejected) {
        this.reject(status);
        return;
      }
      this.ended = true;
      this.setState('');
      this.handlers.onEnd?.(status);
    });
    source.onerror = () => {
      if (this.source !== source) return;
      if (this.opened === source) this.retry();
      else this.probe();
    };
  }

  /** The stream failed before it opened: is the server away, or does it refuse the request? */
  async probe() {
    this.source?.close();
    this.source = null;
    this.setState('reconnecting');
    // A reopen() or close() while the request is out makes its answer stale: ignore it then.
    const generation = this.generation;
    const controller = new AbortController();
    let refusal = null;
    let unauthenticated = false;
    try {
      const response = await fetch(API + this.makePath(this.lastSequence), { signal: controller.signal, cache: 'no-store' });
      if (response.status >= 400 && response.status < 500) {
        const fallback = { code: STATUS.UNKNOWN, status: `HTTP ${response.status}`, message: response.statusText };
        refusal = await response.json().catch(() => fallback);
        unauthenticated = response.status === 401;
      }
    } catch { /* away: retry */ } finally {
      controller.abort();
    }
    if (this.closed || generation !== this.generation) return;
    if (unauthenticated) {
      this.close();
      session.expired(refusal.message || 'the server no longer knows this session');
      return;
    }
    if (refusal && this.handlers.onRejected) this.reject(refusal);
    else this.retry();
  }

  reject(status) {
    clearTimeout(this.timer);
    this.setState('');
    this.handlers.onRejected(status);
  }

  retry() {
    this.source?.close();
    this.source = null;
    if (this.closed) return;
    this.generation += 1;
    this.verifyNext = true;
    this.setState('reconnecting');
    const delay = Math.min(3000, 250 * 2 ** this.failures) * (0.8 + Math.random() * 0.4);
    this.failures += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

// ---------------------------------------------------------------------------------------------
// The global subscription: list liveness and failure notices in every tab, one stream per browser

/** Held by the tab that opens the global stream for every tab of this origin. */
const FEED_LOCK = 'workflow-console-global-stream';
/** Where the leader posts what the global stream delivers, and the tabs talk to it. */
const FEED_CHANNEL = 'workflow-console-global-events';
/** How long the leader keeps in-job progress in its stream after the last tab stopped asking. */
const PROGRESS_LINGER_MS = 5000;

/**
 * The global subscription (GLOBAL_KINDS of every workflow), shared by the tabs of this origin.
 *
 * A browser opens at most six HTTP/1.1 connections per host, and an event stream holds one for
 * as long as it is open: a stream per tab would stall the console from the third tab on. So one
 * tab, the leader, opens the stream and posts every event on the BroadcastChannel FEED_CHANNEL;
 * the others (followers) only listen. The leader is the tab holding the Web Lock FEED_LOCK: every
 * tab asks for it and keeps it for its whole life, so when the leader closes (or is frozen) the
 * lock passes to a waiting tab, which takes over.
 *
 * Resuming across a takeover: events are posted with their sequence and every tab sees every
 * one, so the new leader opens its stream with after_sequence = the last sequence it saw (a tab
 * that has not seen one yet takes the leader's from its answer to `hello`). The server replays
 * what happened while no one listened, and nothing is lost: a failure notice raised during the
 * takeover still reaches every tab. Tabs drop events at or below their last sequence, so a
 * replayed one is not applied twice. The new leader's stream starts one event early and checks
 * that event (`LiveStream.resumePoint`), as after a dropped connection: the server may have
 * restarted after a crash meanwhile. Only a leader that has no sequence at all opens live_only,
 * and then has the views read again what they show (`onGlobalReconnect`), as after any drop.
 *
 * In-job progress (PROGRESS_UPDATED, for the running rows of a list) is asked for only while some
 * tab shows a list with running rows: tabs post their demand and the leader reopens its stream
 * (after its last sequence: nothing lost) when the answer changes.
 *
 * Messages on the channel. From the leader: `{type: 'event', event}`, `{type: 'state', state,
 * sequence, fingerprint}` (its stream's connection state, its last event), `{type: 'reconnect'}` (events may have been
 * missed: read again), `{type: 'reset'}` (the server's log was replaced: sequences start over),
 * `{type: 'leader'}` (a new leader: post your demand). From any tab: `{type: 'hello'}` (answered
 * with a state), `{type: 'demand', tab, progress}`.
 *
 * Without Web Locks (a page served over plain HTTP from another host is no secure context) every
 * tab opens a stream of its own (`alone`).
 */
const globalFeed = {
  listeners: new Set(),
  role: '', // 'follower' → 'leader'; 'leader' → 'follower' when frozen; or 'alone' for good
  channel: null,
  stream: null, // the leader's
  streamState: '',
  lastSequence: 0, // the newest event delivered to this tab's listeners
  lastFingerprint: null, // what identifies that event, when every global stream delivers its kind
  heardLeader: false, // another tab led before: a live_only start may have missed events
  tab: Math.random().toString(36).slice(2),
  wantsProgress: false, // this tab's demand
  demands: new Map(), // leader: tab → wants progress
  streamProgress: false, // leader: whether its stream asks for PROGRESS_UPDATED
  quiet: false, // leader: the next reopening only changes the kinds
  release: null, // leader: lets the lock go
  abort: null, // follower: withdraws its request for the lock
  stopped: false, // signed out: no stream, no place in line for the lock

  start() {
    if (!navigator.locks || typeof BroadcastChannel !== 'function') {
      this.lead('alone');
      return;
    }
    this.channel = new BroadcastChannel(FEED_CHANNEL);
    this.channel.onmessage = (message) => this.onMessage(message.data);
    // A frozen tab runs no code: it must neither hold nor be granted the lock.
    document.addEventListener('freeze', () => this.stepDown());
    document.addEventListener('resume', () => this.follow());
    window.addEventListener('pagehide', () => this.post({ type: 'demand', tab: this.tab, progress: false }));
    this.follow();
  },

  /** Listens to the leader and waits in line for the lock (not while signed out: `stop()`). */
  follow() {
    if (this.stopped || this.role === 'follower' || this.role === 'leader') return;
    this.setRole('follower');
    connection.set(this, 'connecting');
    this.post({ type: 'hello' });
    if (this.wantsProgress) this.post({ type: 'demand', tab: this.tab, progress: true });
    const abort = new AbortController();
    this.abort = abort;
    navigator.locks.request(FEED_LOCK, { signal: abort.signal }, () => new Promise((resolve) => {
      this.release = resolve;
      this.lead('leader');
    })).catch(() => { /* withdrawn (frozen) */ });
  },

  /** Frozen: close the stream and let another tab lead (or stop waiting for the lock). */
  stepDown() {
    if (this.role === 'alone') return;
    this.abort?.abort();
    this.abort = null;
    this.stream?.close();
    this.stream = null;
    this.release?.();
    this.release = null;
    this.setRole('');
  },

  /** Signed out (the session's views are gone): closes the stream, or leaves the line for the lock. */
  stop() {
    this.stopped = true;
    if (this.role === 'alone') {
      this.stream?.close();
      this.stream = null;
    } else {
      this.stepDown();
    }
    connection.remove(this);
  },

  /** Signed in again after `stop()`: resumes after the last event this tab saw. */
  resume() {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.role === 'alone') this.openStream();
    else this.follow();
  },

  lead(role) {
    this.setRole(role);
    this.abort = null;
    connection.remove(this);
    this.demands.clear();
    this.post({ type: 'leader' });
    this.openStream();
  },

  openStream() {
    this.streamProgress = this.progressWanted();
    let liveOnly = false;
    const stream = new LiveStream((after) => {
      liveOnly = !(after > 0);
      const kinds = this.streamProgress ? [...GLOBAL_KINDS, KIND.PROGRESS_UPDATED] : GLOBAL_KINDS;
      return '/events' + query(liveOnly ? { live_only: true, kinds } : { after_sequence: after, kinds });
    }, {
      onEvent: (event) => {
        this.deliver(event);
        this.post({ type: 'event', event });
      },
      onOpen: (reopened) => {
        // Reopened after a drop, or started without a sequence to resume from: events may be missed.
        const missed = reopened ? !this.quiet || liveOnly : liveOnly && this.heardLeader;
        this.quiet = false;
        if (missed) this.announce('reconnect');
      },
      onState: (state) => {
        this.streamState = state;
        this.postState();
      },
      onEnd: () => setTimeout(() => {
        if (this.stream !== stream) return;
        stream.close();
        this.openStream();
      }, 1000),
      // E.g. OUT_OF_RANGE: the server's log is not the one the last sequence came from.
      onRejected: () => {
        stream.lastSequence = 0;
        stream.lastFingerprint = null;
        this.announce('reset');
        stream.retry();
      },
    });
    this.stream = stream;
    stream.start({ sequence: this.lastSequence, fingerprint: this.lastFingerprint });
  },

  postState() {
    this.post({ type: 'state', state: this.streamState, sequence: String(this.lastSequence), fingerprint: this.lastFingerprint });
  },

  /** Hands an event to this tab's listeners, once. */
  deliver(event) {
    if (event.kind !== KIND.GAP) {
      const sequence = num(event.sequence);
      if (sequence <= this.lastSequence) return;
      this.lastSequence = sequence;
      // In-job progress is not in every global stream: a stream without it could not check it.
      this.lastFingerprint = GLOBAL_KINDS.includes(event.kind) ? fingerprint(event) : null;
    }
    this.listeners.forEach((listener) => listener.onGlobalEvent?.(event));
  },

  /** Tells every tab, this one included, that events may have been missed or sequences start over. */
  announce(type) {
    this.post({ type });
    this.control(type);
  },

  control(type) {
    if (type === 'reset') {
      this.lastSequence = 0;
      this.lastFingerprint = null;
    }
    if (type === 'reconnect') this.listeners.forEach((listener) => listener.onGlobalReconnect?.());
  },

  onMessage(message) {
    const leading = this.role === 'leader';
    const following = this.role === 'follower';
    switch (message?.type) {
      case 'event':
        if (following) this.deliver(message.event);
        break;
      case 'state':
        if (!following) break;
        this.heardLeader = true;
        if (num(message.sequence) > this.lastSequence) {
          this.lastSequence = num(message.sequence);
          this.lastFingerprint = message.fingerprint ?? null;
        }
        connection.set(this, message.state || 'connecting');
        break;
      case 'reconnect':
      case 'reset':
        if (following) this.control(message.type);
        break;
      case 'leader':
        if (!following) break;
        this.heardLeader = true;
        if (this.wantsProgress) this.post({ type: 'demand', tab: this.tab, progress: true });
        break;
      case 'hello':
        if (leading) this.postState();
        break;
      case 'demand':
        if (!leading) break;
        if (message.progress) this.demands.set(message.tab, true);
        else this.demands.delete(message.tab);
        this.updateStream();
        break;
      default:
    }
  },

  /** Whether this tab needs PROGRESS_UPDATED events (a visible list with running rows). */
  want(progress) {
    if (this.wantsProgress === progress) return;
    this.wantsProgress = progress;
    if (this.role === 'follower') this.post({ type: 'demand', tab: this.tab, progress });
    else this.updateStream();
  },

  progressWanted() {
    return this.wantsProgress || this.demands.size > 0;
  },

  /** Reopens the leader's stream when the kinds it needs change (dropping progress after a while). */
  updateStream() {
    clearTimeout(this.lingerTimer);
    if (!this.stream || this.streamProgress === this.progressWanted()) return;
    const change = () => {
      if (!this.stream || this.streamProgress === this.progressWanted()) return;
      this.streamProgress = this.progressWanted();
      this.quiet = true;
      this.stream.reopen();
    };
    if (this.streamProgress) this.lingerTimer = setTimeout(change, PROGRESS_LINGER_MS);
    else change();
  },

  post(message) {
    this.channel?.postMessage(message);
  },

  setRole(role) {
    this.role = role;
    // For the browser tests: which tab holds the stream.
    document.documentElement.dataset.feed = role;
  },
};

// ---------------------------------------------------------------------------------------------
// Error bar

const errorBar = {
  node: null,
  show(text) {
    // A request of the app that failed because the session ended: the login view says so.
    if (session.state !== 'app') return;
    const node = this.node;
    setText(node.querySelector('.api-error-text'), text);
    node.hidden = false;
  },
  hide() {
    this.node.hidden = true;
  },
};

// ---------------------------------------------------------------------------------------------
// The session: the login view, who is signed in, sign-out

/** Where the tabs of this origin, which share the session cookie, tell each other it changed. */
const SESSION_CHANNEL = 'workflow-console-session';

/**
 * Who uses the console, and whether the app or the login view shows.
 *
 * At start the page asks `GET /api/v1/session`. A server that does not authenticate answers
 * `authenticated: false`: the app starts as it always did, with no login and no user in the
 * header (so does a server that cannot be reached: the app shows what fails, and a later 401
 * still leads here). A 401 shows the login view instead of the app: the token, posted to
 * `/api/v1/session`, becomes an HTTP-only session cookie (the page never holds the token after
 * that) and a `workflow_csrf` cookie that `api()` repeats in `X-CSRF-Token`.
 *
 * Any later 401 (the token expired or was revoked) ends the app (`expired`): its page, its
 * streams and its notices go, and the login view says why. Signing out (`DELETE
 * /api/v1/session`) does the same. The other tabs hear of both on SESSION_CHANNEL
 * (`{type: 'signed-out'}`, `{type: 'signed-in'}`) and follow.
 *
 * States: '' (asking, or between the two) → 'app' | 'login'; 'app' → '' → 'login' on a 401 or a
 * sign-out; 'login' → 'app' on a sign-in. `document.documentElement.dataset.session` mirrors it
 * (for the browser tests).
 */
const session = {
  state: '',
  who: null, // the WhoAmI answer the app runs as ({subject, roles, authenticated}); null: not known
  started: false, // the global feed ran once (later sign-ins resume it)
  channel: null,
  badge: null,

  start() {
    this.badge = document.querySelector('[data-testid="session-badge"]');
    this.badge.querySelector('[data-testid="sign-out"]').addEventListener('click', () => this.signOut());
    if (typeof BroadcastChannel === 'function') {
      this.channel = new BroadcastChannel(SESSION_CHANNEL);
      this.channel.onmessage = (message) => this.onMessage(message.data);
    }
    this.check();
  },

  setState(state) {
    this.state = state;
    document.documentElement.dataset.session = state;
    // The app's navigation and live indicator mean nothing to someone not signed in.
    document.querySelector('.topnav').hidden = state === 'login';
    connection.node.hidden = state === 'login';
    this.renderBadge();
  },

  /** Asks who the session cookie stands for; shows the app, or the login view on a 401. */
  async check() {
    let who = null;
    try {
      who = await api(SESSION_PATH);
    } catch (error) {
      if (error.httpStatus === 401) {
        if (this.state === 'app') this.leave();
        if (this.state !== 'login') this.showLogin();
        return;
      }
      // Away, or a server without sessions: the app starts; a later 401 leads to the login.
    }
    // Another user signed in in another tab: the page starts over as that user.
    if (this.state === 'app' && who?.subject !== this.who?.subject) this.leave();
    this.enter(who);
  },

  /** Shows the app as `who` (null: not known). */
  enter(who) {
    this.who = who;
    if (this.state === 'app') {
      this.renderBadge();
      return;
    }
    this.setState('app');
    document.getElementById('main').replaceChildren();
    if (this.started) {
      globalFeed.resume();
    } else {
      this.started = true;
      globalFeed.start();
    }
    route();
  },

  /** Ends the app: its page (and that page's streams), the global stream, the notices. */
  leave() {
    current?.destroy();
    current = null;
    globalFeed.stop();
    notices.clear();
    errorBar.hide();
    this.who = null;
    this.setState('');
  },

  /** A request of the app was answered 401: back to the login, saying why. */
  expired(message) {
    if (this.state !== 'app') return;
    this.leave();
    this.showLogin(`Your session has ended: ${message}. Sign in again.`, true);
  },

  showLogin(message = '', isError = false) {
    this.setState('login');
    document.title = 'Sign in · WorkflowEngine';
    const input = h('input', {
      id: 'login-token', class: 'login-token', type: 'password', testid: 'login-token',
      autocomplete: 'current-password', spellcheck: 'false', required: true,
    });
    const button = h('button', { class: 'btn btn-primary', type: 'submit', testid: 'login-submit' }, 'Sign in');
    const line = h('p', { class: 'login-line', role: 'status', 'aria-live': 'polite', hidden: true });
    const form = h('form', { class: 'panel login', testid: 'login-view', novalidate: true },
      h('h1', { tabindex: '-1' }, 'Sign in'),
      h('p', { class: 'muted' }, 'Paste your access token (what workflowctl takes as ', h('code', {}, '--token'), '). '
        + 'The console keeps it in a cookie that no script can read, until you sign out.'),
      h('label', { class: 'field', for: 'login-token' }, h('span', {}, 'Token'), input),
      h('div', { class: 'login-actions' }, button),
      line);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.signIn(input, button, line);
    });
    document.getElementById('main').replaceChildren(form);
    this.showLine(line, message, isError);
    input.focus();
  },

  showLine(line, text, isError = false) {
    setText(line, text);
    line.hidden = !text;
    line.classList.toggle('is-error', isError);
    line.dataset.testid = isError ? 'login-error' : 'login-message';
  },

  async signIn(input, button, line) {
    const token = input.value.trim();
    if (!token) {
      this.showLine(line, 'Paste a token first.', true);
      input.focus();
      return;
    }
    button.disabled = true;
    this.showLine(line, 'Signing in…');
    let who;
    try {
      who = await api(SESSION_PATH, { method: 'POST', body: { token } });
    } catch (error) {
      button.disabled = false;
      // 401: the server's own words ("unknown or revoked token", "the token has expired", …).
      this.showLine(line, error.httpStatus === 401 ? error.message : describeError(error), true);
      input.select();
      return;
    }
    input.value = '';
    this.channel?.postMessage({ type: 'signed-in' });
    if (this.state === 'login') this.enter(who);
  },

  async signOut() {
    const button = this.badge.querySelector('[data-testid="sign-out"]');
    button.disabled = true;
    try {
      await api(SESSION_PATH, { method: 'DELETE' });
    } catch (error) {
      errorBar.show(`Could not sign out: ${describeError(error)}`);
      return;
    } finally {
      button.disabled = false;
    }
    this.channel?.postMessage({ type: 'signed-out' });
    if (this.state === 'app') this.leave();
    this.showLogin('You signed out.');
  },

  onMessage(message) {
    if (message?.type === 'signed-out' && this.state === 'app' && this.who?.authenticated) {
      this.leave();
      this.showLogin('You signed out in another tab.');
    } else if (message?.type === 'signed-in') {
      this.check();
    }
  },

  /** The header's "who": shown while the app runs for an authenticated caller. */
  renderBadge() {
    const who = this.state === 'app' && this.who?.authenticated ? this.who : null;
    this.badge.hidden = !who;
    if (!who) return;
    const roles = (who.roles ?? []).join(', ');
    setText(this.badge.querySelector('[data-testid="session-subject"]'), who.subject);
    setText(this.badge.querySelector('[data-testid="session-roles"]'), roles);
    this.badge.title = `Signed in as ${who.subject}${roles ? ` (roles: ${roles})` : ''}`;
  },
};

// ---------------------------------------------------------------------------------------------
// Failure notices

/** Notices shown at once; a line counts the others. */
const MAX_NOTICES = 5;
/** Notices kept at most (shown or counted): beyond, the oldest go. */
const KEPT_NOTICES = 20;

/**
 * Toasts raised by FAILURE_NOTICE / WORKFLOW_FAILED wherever the user is; one per workflow. The
 * container is the page's assertive live region: a new notice is announced once, by it.
 */
const notices = {
  container: null,
  byWorkflow: new Map(), // workflow id → notice, oldest first

  onGlobalEvent(event) {
    const id = event.workflow_id;
    if (!id) return;
    if (event.kind === KIND.FAILURE_NOTICE || event.kind === KIND.WORKFLOW_FAILED) {
      const existing = this.byWorkflow.get(id);
      if (existing && existing.attempt >= num(event.attempt) && existing.state === 'failed') return;
      this.raise(event);
      return;
    }
    const notice = this.byWorkflow.get(id);
    if (!notice) return;
    if (event.kind === KIND.WORKFLOW_RETRIED) {
      // Retried here or elsewhere: follow it.
      setHidden(notice.retry, true, notice.details);
      this.setState(notice, 'running', `Running again (attempt ${num(event.attempt) || '?'})`);
      return;
    }
    if (notice.state === 'failed') return;
    if (event.kind === KIND.JOB_STARTED) this.setState(notice, 'running', `Running again: ${event.job_name}`);
    else if (event.kind === KIND.WORKFLOW_COMPLETED) {
      this.setState(notice, 'completed', 'Completed after the retry ✓');
      setTimeout(() => this.dismiss(notice), 30000);
    } else if (event.kind === KIND.WORKFLOW_CANCELLED) this.setState(notice, 'cancelled', 'Cancelled');
  },

  raise(event) {
    const id = event.workflow_id;
    const old = this.byWorkflow.get(id);
    if (old) this.remove(old);
    const message = event.kind === KIND.FAILURE_NOTICE
      ? event.message
      : (event.message || '').replace(/^Workflow /, '') || `${event.workflow_type} failed`;
    const notice = { id, attempt: num(event.attempt), state: 'failed' };
    notice.title = h('div', { class: 'notice-title' }, 'Workflow failed');
    notice.status = h('div', { class: 'notice-status', testid: 'notice-status' });
    notice.retry = h('button', {
      class: 'btn btn-small btn-primary', type: 'button', testid: 'notice-retry', onclick: () => this.retry(notice),
    }, 'Retry');
    notice.details = h('a', { class: 'btn btn-small', href: `#/workflows/${encodeURIComponent(id)}`, testid: 'notice-details' }, 'View details');
    notice.node = h('div', { class: 'notice', testid: 'failure-notice', data: { workflowId: id, state: 'failed' } },
      h('div', { class: 'notice-icon', 'aria-hidden': 'true' }, '✗'),
      h('div', { class: 'notice-body' },
        notice.title,
        h('div', { class: 'notice-message', testid: 'notice-message' }, message),
        notice.status,
        h('div', { class: 'notice-actions' }, notice.details, notice.retry)),
      h('button', {
        class: 'notice-close', type: 'button', testid: 'notice-dismiss', 'aria-label': 'Dismiss', title: 'Dismiss',
        onclick: () => this.dismiss(notice),
      }, '×'));
    this.byWorkflow.set(id, notice);
    this.container.prepend(notice.node);
    // Bounded under a flood of failures: the oldest go.
    for (const oldest of this.byWorkflow.values()) {
      if (this.byWorkflow.size <= KEPT_NOTICES) break;
      this.remove(oldest);
    }
    this.trim();
  },

  /** The event names the type; the summary says which one. Read once a notice is shown. */
  readTitle(notice) {
    if (notice.titleRead) return;
    notice.titleRead = true;
    api(`${workflowPath(notice.id)}?omit_steps=true`).then((wf) => {
      const who = wf.user_name || wf.user_id;
      setText(notice.title, `${wf.summary || wf.type}${who ? ` · ${who}` : ''}`);
    }).catch(() => {});
  },

  async retry(notice) {
    notice.retry.disabled = true;
    this.setState(notice, 'retrying', 'Retrying…');
    try {
      const answer = await api(`${workflowPath(notice.id)}/retry`, { method: 'POST', body: {} });
      if (notice.state === 'retrying') {
        this.setState(notice, 'running', `Running again from ${answer.job_name || 'the failed job'} (attempt ${answer.attempt})`);
      }
      setHidden(notice.retry, true, notice.details);
    } catch (error) {
      this.setState(notice, 'failed', `Retry refused: ${describeError(error)}`, true);
      notice.retry.disabled = false;
    }
  },

  setState(notice, state, text, isError = false) {
    notice.state = state;
    notice.node.dataset.state = state;
    setText(notice.status, text);
    notice.status.classList.toggle('is-error', isError);
    notice.node.querySelector('.notice-icon').textContent = { completed: '✓', running: '●', retrying: '●', cancelled: '⊘' }[state] ?? '✗';
  },

  dismiss(notice) {
    // The focus (on its close button) goes to the next notice, else to the page's heading.
    if (notice.node.contains(document.activeElement)) {
      const next = notice.node.nextElementSibling?.querySelector('.notice-close') ?? document.querySelector('#main h1');
      next?.focus({ preventScroll: true });
    }
    this.remove(notice);
    this.trim();
  },

  dismissAll() {
    document.querySelector('#main h1')?.focus({ preventScroll: true });
    this.clear();
  },

  /** Removes every notice (signed out: they were about the signed-in caller's workflows). */
  clear() {
    for (const notice of [...this.byWorkflow.values()]) this.remove(notice);
    this.trim();
  },

  remove(notice) {
    if (this.byWorkflow.get(notice.id) === notice) this.byWorkflow.delete(notice.id);
    notice.node.remove();
  },

  /** Shows the newest few; a line counts the others and dismisses them all. */
  trim() {
    const newestFirst = [...this.byWorkflow.values()].reverse();
    for (const [index, notice] of newestFirst.entries()) {
      const hidden = index >= MAX_NOTICES;
      setHidden(notice.node, hidden, newestFirst[0].node.querySelector('.notice-close'));
      if (!hidden) this.readTitle(notice);
    }
    let more = this.container.querySelector('.notice-more');
    const hiddenCount = Math.max(0, newestFirst.length - MAX_NOTICES);
    if (!hiddenCount) {
      more?.remove();
      return;
    }
    if (!more) {
      more = h('div', { class: 'notice-more' },
        h('span', { class: 'notice-more-text' }),
        h('button', { class: 'btn btn-small', type: 'button', onclick: () => this.dismissAll() }, 'Dismiss all'));
      this.container.append(more);
    }
    setText(more.querySelector('.notice-more-text'), `+${hiddenCount} more`);
  },
};

// ---------------------------------------------------------------------------------------------
// The ticker: durations of running things, once a second

const ticker = {
  listeners: new Set(),
  start() {
    setInterval(() => {
      if (document.hidden) return;
      const now = Date.now();
      this.listeners.forEach((listener) => listener.onTick(now));
    }, 1000);
  },
};

// ---------------------------------------------------------------------------------------------
// List view: `#/?status=FAILED&type=TEST&user=u1&q=gold&group=off`
//
// Grouped by type (the default): one TypeGroup per type the counts name, in alphabetical order
// (stable: groups do not move about as workflows start, and the order is known before any
// workflow is read), each holding its type's newest GROUP_PAGE workflows, read once the group
// comes near the screen, so dozens of types cost a few reads. `group=off`: one table of every
// type, newest first. Either way the rows are RowSets kept live by the global feed.

/** Workflows read per page of a type's group. */
const GROUP_PAGE = 10;
/** Where the collapsed groups are remembered (a JSON array of types). */
const COLLAPSED_KEY = 'workflow-console.collapsed-types';

function listFiltersFrom(params) {
  const status = (params.get('status') || '').toUpperCase();
  return {
    status: WORKFLOW_STATUSES.includes(status) ? status : '',
    type: params.get('type') || '',
    user: params.get('user') || '',
    q: params.get('q') || '',
    grouped: params.get('group') !== 'off',
  };
}

function listHash(filters) {
  return `#/${query({ status: filters.status, type: filters.type, user: filters.user, q: filters.q, group: filters.grouped ? '' : 'off' })}`;
}

const sameFilters = (a, b) => a.status === b.status && a.type === b.type && a.user === b.user && a.q === b.q && a.grouped === b.grouped;

/** The running job, else the first not finished, else the last one. */
function currentJob(wf) {
  const jobs = wf.jobs ?? [];
  return jobs.find((j) => short(j.status) === 'RUNNING')
    ?? jobs.find((j) => short(j.status) === 'PENDING')
    ?? jobs[jobs.length - 1];
}

/** Completed jobs plus the running one's progress, over all jobs. */
function overallProgress(wf) {
  const jobs = wf.jobs ?? [];
  if (!jobs.length) return 0;
  let done = 0;
  for (const job of jobs) {
    const status = short(job.status);
    if (status === 'COMPLETED') done += 1;
    else if (status === 'RUNNING') done += Math.min(1, Math.max(0, Number(job.progress) || 0));
  }
  return done / jobs.length;
}

const knownTypes = new Set();

/** The types whose groups are collapsed, remembered across reloads (and shared by the tabs). */
const collapsedTypes = {
  read() {
    try {
      return new Set(JSON.parse(localStorage.getItem(COLLAPSED_KEY) || '[]'));
    } catch {
      return new Set();
    }
  },
  has(type) {
    return this.read().has(type);
  },
  set(type, collapsed) {
    const all = this.read();
    if (collapsed) all.add(type);
    else all.delete(type);
    try {
      localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...all]));
    } catch { /* storage refused: remembered by this page only */ }
  },
};

/** Whether a row (`created`, `id`) lists before `node`: newest first, then by id, as the server lists them. */
function listsBefore(created, id, node) {
  const other = num(node.dataset.created);
  return other < created || (other === created && node.dataset.workflowId < id);
}

/** A list item holding the workflow's link (the row's cells). */
function workflowRow(wf) {
  const link = h('a', { class: 'wf-row', href: `#/workflows/${encodeURIComponent(wf.id)}` });
  const data = { workflowId: wf.id, created: String(num(wf.created_at_ms)) };
  const node = h('div', { class: 'wf-item', role: 'listitem', testid: 'workflow-row', data }, link);
  fillRow(node, wf);
  return node;
}

function fillRow(node, wf) {
  const status = short(wf.status);
  node.dataset.status = status;
  const link = node.firstChild;
  link.className = `wf-row st-row-${status.toLowerCase()}${link.classList.contains('is-new') ? ' is-new' : ''}`;
  const job = currentJob(wf);
  const jobs = wf.jobs ?? [];
  let progressCell;
  if (status === 'RUNNING') {
    const done = jobs.filter((j) => short(j.status) === 'COMPLETED').length;
    const label = job ? `${job.name} · ${Math.min(done + 1, jobs.length)}/${jobs.length}` : 'Starting';
    progressCell = h('span', { class: 'cell-progress' },
      h('span', { class: 'progress-label' }, label),
      progressBar(overallProgress(wf), 'row-progress', `Progress of ${wf.summary || wf.id}`));
  } else if (status === 'FAILED') {
    progressCell = h('span', { class: 'cell-progress' },
      h('span', { class: 'fail-at' }, `at ${wf.failed_job_name || job?.name || '?'}: `),
      h('span', { class: 'fail-error' }, wf.error || ''));
  } else if (status === 'CANCELLED') {
    const at = jobs.find((j) => short(j.status) === 'CANCELLED');
    progressCell = h('span', { class: 'cell-progress muted' }, at ? `cancelled at ${at.name}` : 'cancelled');
  } else {
    progressCell = h('span', { class: 'cell-progress muted' }, `${jobs.length} job${jobs.length === 1 ? '' : 's'}`);
  }
  const start = num(wf.started_at_ms) || num(wf.created_at_ms);
  const duration = h('span', { class: 'cell-duration num', testid: 'row-duration' }, formatDuration(workflowDuration(wf)));
  if (status === 'RUNNING' && start) duration.dataset.tickStart = String(start);
  const attempt = num(wf.attempt) > 1 ? h('span', { class: 'badge', title: 'Attempt' }, `attempt ${wf.attempt}`) : null;
  link.replaceChildren(
    h('span', { class: 'cell-status' }, statusSymbol(status)),
    h('span', { class: 'cell-main' },
      h('span', { class: wf.summary ? 'wf-summary' : 'wf-summary muted' }, wf.summary || '(no summary)'),
      h('span', { class: 'wf-sub' }, h('span', { class: 'wf-type' }, wf.type), h('span', { class: 'wf-id' }, wf.id), attempt)),
    h('span', { class: 'cell-user', title: wf.user_id || '' }, wf.user_name || wf.user_id || '—'),
    progressCell,
    h('span', { class: 'cell-created', title: fullDateTime(num(wf.created_at_ms)) }, shortDateTime(num(wf.created_at_ms))),
    duration);
}

/**
 * Workflows newest first, read a page at a time: the flat list, or one type's group.
 *
 * `load` reads the first page into an empty set and `loadMore` the next. Live changes come
 * through `offer`: applied once the first page is in; while it is being read they are read again
 * after it (the page may predate them); before, dropped (the read brings them). A workflow older
 * than the last row is left out while more pages remain: its page brings it. New rows push the
 * oldest out beyond the rows read plus LIVE_ROWS_EXTRA; the next page then starts after the last
 * row kept.
 */
class RowSet {
  /**
   * @param {ListView} list
   * @param {{type?: string, pageSize: number, testid: string, moreTestid: string, moreLabel: string, onRender?: Function}} options
   *   type: the type read ('' : the list's type filter); onRender() after the foot changed.
   */
  constructor(list, { type = '', pageSize, testid, moreTestid, moreLabel, onRender }) {
    this.list = list;
    this.type = type;
    this.pageSize = pageSize;
    this.onRender = onRender;
    this.rows = new Map(); // id → { node, wf, asOf }
    this.more = null; // what reads the next page (page_token, created_before_ms); null: no more
    this.readCount = 0; // rows the pages brought
    this.loaded = false;
    this.loading = false;
    this.failed = false;
    this.generation = 0;
    this.waiting = new Set(); // changed while the first page was read: read again after it
    this.rowsNode = h('div', { class: 'wf-rows', testid, role: 'list' });
    this.emptyNode = h('div', { class: 'empty', testid: 'list-empty', hidden: true });
    this.moreButton = h('button', {
      type: 'button', class: 'btn btn-small', testid: moreTestid, hidden: true, onclick: () => this.loadMore(),
    }, moreLabel);
    this.statusNode = h('span', { class: 'muted', testid: 'list-status' });
  }

  path(extra = {}) {
    const type = this.type ? { type: this.type } : {};
    return '/workflows' + query({ ...this.list.listQuery(), ...type, page_size: this.pageSize, ...extra });
  }

  /** Empties the set; a read under way is ignored when it answers. */
  clear() {
    this.generation += 1;
    this.rows.clear();
    this.rowsNode.replaceChildren();
    this.waiting.clear();
    this.more = null;
    this.readCount = 0;
    this.loaded = false;
    this.loading = false;
    this.failed = false;
    this.renderFoot();
  }

  async load() {
    this.clear();
    const generation = this.generation;
    this.loading = true;
    this.renderFoot();
    try {
      const page = await api(this.path());
      if (generation !== this.generation || this.list.destroyed) return;
      for (const wf of page.workflows ?? []) this.upsert(wf, 0, true);
      this.readCount = page.workflows?.length ?? 0;
      this.more = page.next_page_token ? { page_token: page.next_page_token } : null;
      this.loaded = true;
      errorBar.hide();
    } catch (error) {
      if (generation !== this.generation || this.list.destroyed) return;
      this.failed = true;
      errorBar.show(`Could not load the ${this.type ? `${this.type} ` : ''}workflows: ${describeError(error)}`);
    }
    this.loading = false;
    this.renderFoot();
    if (this.waiting.size) {
      for (const id of this.waiting) this.list.pending.set(id, this.type);
      this.waiting.clear();
      this.list.scheduleFlush();
    }
    this.list.renderLoaded();
    this.list.updateDemand();
  }

  async loadMore() {
    const generation = this.generation;
    const more = this.more;
    if (!more) return;
    this.moreButton.disabled = true;
    try {
      const page = await api(this.path(more));
      if (generation !== this.generation || this.list.destroyed) return;
      // The token goes on with the query it came from (created_before_ms after rows were dropped).
      this.more = page.next_page_token ? { ...more, page_token: page.next_page_token } : null;
      this.readCount += page.workflows?.length ?? 0;
      for (const wf of page.workflows ?? []) this.upsert(wf, 0, true);
    } catch (error) {
      errorBar.show(`Could not load more workflows: ${describeError(error)}`);
    } finally {
      this.moreButton.disabled = false;
      this.renderFoot();
    }
  }

  /** Reads the rows shown again and applies them (events may have been missed); loads a set whose read failed. */
  async refresh() {
    if (this.failed) return this.load();
    if (!this.loaded) return undefined;
    const generation = this.generation;
    try {
      const page = await api(this.path({ page_size: Math.min(1000, this.rows.size + this.pageSize) }));
      if (generation !== this.generation || this.list.destroyed) return undefined;
      for (const wf of page.workflows ?? []) this.upsert(wf, 0, false);
      errorBar.hide();
      this.renderFoot();
    } catch { /* the next event or reconnection tries again */ }
    return undefined;
  }

  /** A workflow read after it changed. */
  offer(wf, asOf) {
    if (this.loaded) this.upsert(wf, asOf, false);
    else if (this.loading) this.waiting.add(wf.id);
  }

  /** Adds, updates or (when it no longer matches the filters) removes the row of `wf`. */
  upsert(wf, asOf, fromPage) {
    const existing = this.rows.get(wf.id);
    if (!this.list.matches(wf)) {
      if (existing && !fromPage) this.removeRow(wf.id);
      return;
    }
    if (existing) {
      if (asOf && existing.asOf > asOf) return; // an older answer that arrived late
      existing.wf = wf;
      existing.asOf = Math.max(existing.asOf, asOf);
      fillRow(existing.node, wf);
      return;
    }
    const created = num(wf.created_at_ms);
    // Only inside the loaded range: an older workflow shows up when its page is loaded.
    if (!fromPage && this.more) {
      const last = this.rowsNode.lastElementChild;
      if (last && created < num(last.dataset.created)) return;
    }
    const node = workflowRow(wf);
    this.rows.set(wf.id, { node, wf, asOf });
    // Newest first: a page goes at the bottom; a live row usually at the top.
    let before = null;
    if (!fromPage) {
      for (const child of this.rowsNode.children) {
        if (listsBefore(created, wf.id, child)) {
          before = child;
          break;
        }
      }
    }
    this.rowsNode.insertBefore(node, before);
    if (!fromPage) {
      const link = node.firstChild;
      link.classList.add('is-new');
      setTimeout(() => link.classList.remove('is-new'), 1600);
      this.dropOldest();
    }
    this.emptyNode.hidden = true;
  }

  /** Keeps at most the rows the pages read plus LIVE_ROWS_EXTRA: the oldest go. */
  dropOldest() {
    const limit = Math.max(this.readCount, this.pageSize) + LIVE_ROWS_EXTRA;
    if (this.rows.size <= limit) return;
    while (this.rows.size > limit) this.removeRow(this.rowsNode.lastElementChild.dataset.workflowId);
    // The next page starts after the last row kept: its millisecond is read again (rows of it
    // already shown are updated, not added twice), so a row created in the same one is not skipped.
    this.more = { created_before_ms: num(this.rowsNode.lastElementChild.dataset.created) + 1 };
  }

  /** The link of the last row (where the focus goes when the "more" button goes). */
  lastRowLink() {
    return this.rowsNode.lastElementChild?.firstChild ?? null;
  }

  removeRow(id) {
    const row = this.rows.get(id);
    if (!row) return;
    row.node.remove();
    this.rows.delete(id);
  }

  hasRunning() {
    for (const row of this.rows.values()) if (short(row.wf.status) === 'RUNNING') return true;
    return false;
  }

  renderFoot() {
    const count = this.rows.size;
    setHidden(this.moreButton, !this.more, this.lastRowLink());
    this.emptyNode.hidden = !this.loaded || count > 0;
    setText(this.emptyNode, this.list.emptyText());
    const total = this.list.matchingCount(this.type);
    let text = '';
    if (this.loading && !count) text = 'Loading…';
    else if (count && total !== null) text = `${formatCount(count)} of ${formatCount(Math.max(count, total))} shown`;
    else if (count) text = `${formatCount(count)} shown${this.more ? ', more on request' : ''}`;
    setText(this.statusNode, text);
    this.onRender?.();
  }
}

/** One type's status chips, each a filter; updated in place as the counts change. */
class StatusChips {
  constructor(list, type) {
    this.list = list;
    this.type = type;
    this.chips = new Map(); // status → button
    this.node = h('div', { class: 'chips' });
  }

  /** @param {Map<string, number> | undefined} statuses counts per short status */
  update(statuses) {
    const f = this.list.filters;
    WORKFLOW_STATUSES.forEach((status, index) => {
      const count = statuses?.get(status) ?? 0;
      let chip = this.chips.get(status);
      if (!count) {
        chip?.remove();
        this.chips.delete(status);
        return;
      }
      if (!chip) {
        chip = h('button', {
          type: 'button', class: `chip st-chip-${status.toLowerCase()}`, testid: 'status-chip',
          data: { type: this.type, status }, onclick: () => this.toggle(status),
        }, statusSymbol(status), h('span', { class: 'chip-label' }, STATUS_LOOK[status].label), h('b', { class: 'chip-count' }));
        const next = WORKFLOW_STATUSES.slice(index + 1).map((s) => this.chips.get(s)).find(Boolean) ?? null;
        this.node.insertBefore(chip, next);
        this.chips.set(status, chip);
      }
      const active = f.type === this.type && f.status === status;
      chip.dataset.count = String(count);
      chip.setAttribute('aria-pressed', String(active));
      chip.title = active ? 'Show every status' : `Show only ${STATUS_LOOK[status].label.toLowerCase()} ${this.type} workflows`;
      setText(chip.querySelector('.chip-count'), formatCount(count));
    });
  }

  toggle(status) {
    const f = this.list.filters;
    const active = f.type === this.type && f.status === status;
    this.list.changeFilters(active ? { type: this.type, status: '' } : { type: this.type, status });
  }
}

/** One type's group of the grouped list: its name, total and status chips, then its newest workflows. */
class TypeGroup {
  static ids = 0;

  constructor(list, type) {
    this.list = list;
    this.type = type;
    this.collapsed = collapsedTypes.has(type);
    this.rowSet = new RowSet(list, {
      type, pageSize: GROUP_PAGE, testid: 'group-rows', moreTestid: 'group-more', moreLabel: 'Show more',
      onRender: () => this.renderFoot(),
    });
    this.chips = new StatusChips(list, type);
    const bodyId = `type-group-${++TypeGroup.ids}`;
    this.toggle = h('button', {
      type: 'button', class: 'group-toggle', testid: 'group-collapse', 'aria-controls': bodyId,
      onclick: () => this.setCollapsed(!this.collapsed),
    },
      h('span', { class: 'chevron', 'aria-hidden': 'true' }));
    this.nameButton = h('button', { type: 'button', class: 'group-name', testid: 'type-filter', onclick: () => this.list.toggleType(type) }, type);
    this.totalNode = h('span', { class: 'group-total', testid: 'group-total' });
    this.foot = h('div', { class: 'group-foot' }, this.rowSet.statusNode, this.rowSet.moreButton);
    this.body = h('div', { class: 'group-body', id: bodyId }, this.rowSet.rowsNode, this.rowSet.emptyNode, this.foot);
    this.node = h('section', { class: 'wf-group', testid: 'type-group', 'aria-label': `${type} workflows`, data: { type } },
      h('div', { class: 'group-head' }, this.toggle, h('h2', { class: 'group-title' }, this.nameButton, this.totalNode), this.chips.node),
      this.body);
    this.renderCollapsed();
  }

  /** @param {Map<string, number> | undefined} statuses the type's counts per status */
  render(statuses) {
    const total = statuses ? [...statuses.values()].reduce((a, b) => a + b, 0) : null;
    this.node.dataset.total = total === null ? '' : String(total);
    setText(this.totalNode, total === null ? '' : formatCount(total));
    this.totalNode.title = total === null ? '' : `${formatCount(total)} ${this.type} workflow${total === 1 ? '' : 's'} retained`;
    this.chips.update(statuses);
    const active = this.list.filters.type === this.type;
    this.nameButton.setAttribute('aria-pressed', String(active));
    this.nameButton.title = active ? 'Show every type' : `Show only ${this.type}`;
    this.rowSet.renderFoot();
  }

  renderFoot() {
    setHidden(this.foot, !this.rowSet.more, this.rowSet.lastRowLink() ?? this.nameButton);
  }

  setCollapsed(collapsed) {
    this.collapsed = collapsed;
    collapsedTypes.set(this.type, collapsed);
    this.renderCollapsed();
    // A collapsed group neither reads nor follows its rows; expanded, it reads them afresh.
    this.rowSet.clear();
    if (collapsed) this.list.unwatch(this);
    else this.list.watch(this);
    this.list.updateDemand();
  }

  renderCollapsed() {
    this.node.dataset.collapsed = String(this.collapsed);
    this.body.hidden = this.collapsed;
    this.toggle.setAttribute('aria-expanded', String(!this.collapsed));
    const label = `${this.collapsed ? 'Expand' : 'Collapse'} ${this.type}`;
    this.toggle.setAttribute('aria-label', label);
    this.toggle.title = label;
  }
}

class ListView {
  kind = 'list';

  constructor(root, route) {
    this.root = root;
    this.filters = listFiltersFrom(route.params);
    this.groups = new Map(); // type → TypeGroup, while grouped
    this.groupOf = new WeakMap(); // a group's node → the group
    this.unseen = new Set(); // groups watched whose first intersection is not reported yet
    this.cards = new Map(); // type → { node, total, chips }: the counts above the flat list
    this.counts = null; // type → (status → count), once read for these filters
    this.generation = 0;
    this.pending = new Map(); // workflow id → its type: workflows that changed, to read
    this.progressRows = new Set(); // rows whose progress changed, to paint
    this.flushTimer = 0;
    this.flushing = false;
    this.countsTimer = 0;
    this.countsAt = 0;
    this.countsStale = false;
    this.refreshStale = false;
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), { rootMargin: '300px 0px' });
    this.onVisibility = () => this.visibilityChanged();
    this.build();
    this.syncInputs();
    globalFeed.listeners.add(this);
    ticker.listeners.add(this);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.reload();
  }

  destroy() {
    this.destroyed = true;
    globalFeed.listeners.delete(this);
    globalFeed.want(false);
    ticker.listeners.delete(this);
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.observer.disconnect();
    clearTimeout(this.flushTimer);
    clearTimeout(this.countsTimer);
    clearTimeout(this.typingTimer);
  }

  /** Same view, other filters: reload in place (the inputs keep their focus). */
  update(route) {
    if (route.view !== 'list') return false;
    const filters = listFiltersFrom(route.params);
    if (sameFilters(filters, this.filters)) return true;
    this.filters = filters;
    this.syncInputs();
    this.reload();
    return true;
  }

  build() {
    document.title = 'Workflows · WorkflowEngine';
    const statusOptions = [h('option', { value: '' }, 'Any status'),
      ...WORKFLOW_STATUSES.map((s) => h('option', { value: s }, STATUS_LOOK[s].label))];
    this.statusInput = h('select', {
      testid: 'filter-status', 'aria-label': 'Status', onchange: () => this.changeFilters({ status: this.statusInput.value }),
    }, statusOptions);
    this.typeInput = h('select', { testid: 'filter-type', 'aria-label': 'Type', onchange: () => this.changeFilters({ type: this.typeInput.value }) });
    this.userInput = h('input', {
      type: 'search', testid: 'filter-user', placeholder: 'User id', 'aria-label': 'User id',
      autocomplete: 'off', spellcheck: 'false', oninput: () => this.typed(),
    });
    this.textInput = h('input', {
      type: 'search', testid: 'filter-text', placeholder: 'Search summaries', 'aria-label': 'Text in the summary',
      autocomplete: 'off', oninput: () => this.typed(),
    });
    this.clearButton = h('button', {
      type: 'button', class: 'btn btn-ghost', testid: 'filter-clear',
      onclick: () => this.changeFilters({ status: '', type: '', user: '', q: '' }),
    }, 'Clear filters');
    this.groupInput = h('input', {
      type: 'checkbox', testid: 'group-by-type', onchange: () => this.changeFilters({ grouped: this.groupInput.checked }),
    });
    this.countsNode = h('section', { class: 'type-cards', testid: 'type-counts', 'aria-label': 'Workflows per type and status' });
    this.cardsEmpty = h('div', { class: 'muted type-empty', hidden: true }, 'No workflows retained.');
    this.countsNode.append(this.cardsEmpty);
    // Flat: one table of every type.
    this.flatSet = new RowSet(this, { pageSize: LIST_PAGE, testid: 'workflow-list', moreTestid: 'load-more', moreLabel: 'Load more' });
    this.flatNode = h('div', { class: 'wf-table' },
      h('div', { class: 'wf-head', 'aria-hidden': 'true' },
        h('span', {}, ''), h('span', {}, 'Workflow'), h('span', {}, 'User'), h('span', {}, 'Progress'),
        h('span', {}, 'Created'), h('span', { class: 'num' }, 'Duration')),
      this.flatSet.rowsNode,
      this.flatSet.emptyNode);
    this.flatFoot = h('div', { class: 'list-foot' }, this.flatSet.moreButton, this.flatSet.statusNode);
    // Grouped: a group per type.
    this.groupsHead = h('div', { class: 'wf-head groups-head', 'aria-hidden': 'true', hidden: true },
      h('span', {}, ''), h('span', {}, 'Workflow'), h('span', {}, 'User'), h('span', {}, 'Progress'),
      h('span', {}, 'Created'), h('span', { class: 'num' }, 'Duration'));
    this.groupsNode = h('div', { class: 'wf-groups', testid: 'type-groups' });
    this.groupsEmpty = h('div', { class: 'empty wf-table', testid: 'groups-empty', hidden: true });
    this.node = h('div', { class: 'view view-list', testid: 'list-view' },
      h('div', { class: 'page-head' },
        h('h1', { tabindex: '-1' }, 'Workflows'),
        h('label', { class: 'switch', title: 'One section per type, or one table of every type' },
          this.groupInput, h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', {}, 'Group by type'))),
      this.countsNode,
      h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
        h('label', { class: 'field' }, h('span', {}, 'Status'), this.statusInput),
        h('label', { class: 'field' }, h('span', {}, 'Type'), this.typeInput),
        h('label', { class: 'field' }, h('span', {}, 'User'), this.userInput),
        h('label', { class: 'field field-grow' }, h('span', {}, 'Summary'), this.textInput),
        this.clearButton),
      this.flatNode,
      this.flatFoot,
      this.groupsHead,
      this.groupsNode,
      this.groupsEmpty);
    this.root.append(this.node);
  }

  syncInputs() {
    const f = this.filters;
    this.renderTypeOptions();
    this.statusInput.value = f.status;
    this.typeInput.value = f.type;
    this.groupInput.checked = f.grouped;
    if (document.activeElement !== this.userInput && this.userInput.value !== f.user) this.userInput.value = f.user;
    if (document.activeElement !== this.textInput && this.textInput.value !== f.q) this.textInput.value = f.q;
    setHidden(this.clearButton, !(f.status || f.type || f.user || f.q), this.statusInput);
  }

  renderTypeOptions() {
    if (this.filters.type) knownTypes.add(this.filters.type);
    const types = [...knownTypes].sort();
    const key = types.join('\n');
    if (this.typeInput.dataset.key === key) return;
    this.typeInput.dataset.key = key;
    this.typeInput.replaceChildren(h('option', { value: '' }, 'Any type'), ...types.map((t) => h('option', { value: t }, t)));
    this.typeInput.value = this.filters.type;
  }

  changeFilters(change) {
    const next = { ...this.filters, ...change };
    location.hash = listHash(next);
  }

  /** The type's name: show only it, or (when it is the filter) every type again. */
  toggleType(type) {
    this.changeFilters(this.filters.type === type ? { type: '', status: '' } : { type, status: '' });
  }

  typed() {
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      const next = { ...this.filters, user: this.userInput.value.trim(), q: this.textInput.value.trim() };
      if (!sameFilters(next, this.filters)) location.replace(listHash(next));
    }, 250);
  }

  listQuery() {
    const f = this.filters;
    return {
      statuses: f.status ? [`WORKFLOW_STATUS_${f.status}`] : [],
      type: f.type,
      user_id: f.user,
      summary_contains: f.q,
    };
  }

  matches(wf) {
    const f = this.filters;
    if (f.status && short(wf.status) !== f.status) return false;
    if (f.type && wf.type !== f.type) return false;
    if (f.user && wf.user_id !== f.user) return false;
    if (f.q && !(wf.summary || '').toLowerCase().includes(f.q.toLowerCase())) return false;
    return true;
  }

  emptyText() {
    const f = this.filters;
    if (f.status || f.type || f.user || f.q) return 'No workflow matches these filters.';
    return 'No workflows yet. Workflows started through the API appear here as they start.';
  }

  /** The row sets shown: the flat one, or the expanded groups'. */
  rowSets() {
    if (!this.filters.grouped) return [this.flatSet];
    return [...this.groups.values()].filter((g) => !g.collapsed).map((g) => g.rowSet);
  }

  /** Reads everything again for new filters (or the other layout). */
  reload() {
    this.generation += 1;
    this.counts = null;
    this.pending.clear();
    const f = this.filters;
    this.node.dataset.grouped = String(f.grouped);
    this.countsNode.hidden = f.grouped;
    this.flatNode.hidden = f.grouped;
    this.flatFoot.hidden = f.grouped;
    this.groupsNode.hidden = !f.grouped;
    this.groupsEmpty.hidden = true;
    this.groupsHead.hidden = true;
    if (f.grouped) {
      this.flatSet.clear();
      // Groups stay in place (no flicker); their rows are read again. The counts say which go.
      for (const group of [...this.groups.values()]) {
        if (f.type && group.type !== f.type) {
          this.removeGroup(group);
          continue;
        }
        group.rowSet.clear();
        group.render(undefined);
        if (!group.collapsed) this.watch(group);
      }
      if (f.type) this.ensureGroup(f.type);
    } else {
      for (const group of [...this.groups.values()]) this.removeGroup(group);
      this.flatSet.load();
    }
    this.renderLoaded();
    this.requestCounts(true);
  }

  /** `data-loaded` on the view: the first reads are in (counts, and the groups on screen). */
  renderLoaded() {
    const loaded = this.filters.grouped
      ? this.counts !== null && !this.unseen.size && [...this.groups.values()].every((g) => !g.rowSet.loading)
      : this.flatSet.loaded || this.flatSet.failed;
    this.node.dataset.loaded = String(loaded);
  }

  // Groups ------------------------------------------------------------------------------------

  ensureGroup(type) {
    let group = this.groups.get(type);
    if (group) return group;
    group = new TypeGroup(this, type);
    this.groups.set(type, group);
    this.groupOf.set(group.node, group);
    let before = null;
    for (const child of this.groupsNode.children) {
      if (child.dataset.type > type) {
        before = child;
        break;
      }
    }
    this.groupsNode.insertBefore(group.node, before);
    group.render(this.counts?.get(type));
    if (!group.collapsed) this.watch(group);
    this.groupsEmpty.hidden = true;
    this.groupsHead.hidden = false;
    return group;
  }

  removeGroup(group) {
    this.unwatch(group);
    group.rowSet.clear();
    group.node.remove();
    this.groups.delete(group.type);
    this.groupsHead.hidden = !this.groups.size;
  }

  /** Reads the group's rows once it comes near the screen. */
  watch(group) {
    this.unseen.add(group);
    this.observer.unobserve(group.node);
    this.observer.observe(group.node);
  }

  unwatch(group) {
    this.unseen.delete(group);
    this.observer.unobserve(group.node);
    this.renderLoaded();
  }

  onIntersect(entries) {
    for (const entry of entries) {
      const group = this.groupOf.get(entry.target);
      if (!group) continue;
      this.unseen.delete(group);
      if (!entry.isIntersecting || group.collapsed || this.groups.get(group.type) !== group) continue;
      this.observer.unobserve(group.node);
      if (!group.rowSet.loaded && !group.rowSet.loading) group.rowSet.load();
    }
    this.renderLoaded();
  }

  /** Adds the groups the counts name (and the type filter), drops those left empty; updates their heads. */
  syncGroups() {
    const f = this.filters;
    const wanted = new Set(f.type ? [f.type] : []);
    if (!f.type) {
      for (const type of this.counts?.keys() ?? []) if (this.matchingCount(type) > 0) wanted.add(type);
    }
    for (const group of [...this.groups.values()]) {
      // One that still shows rows stays (the counts may predate them).
      if (!wanted.has(group.type) && !group.rowSet.rows.size) this.removeGroup(group);
    }
    for (const type of [...wanted].sort()) this.ensureGroup(type);
    for (const group of this.groups.values()) group.render(this.counts?.get(group.type));
    this.groupsEmpty.hidden = this.groups.size > 0 || this.counts === null;
    this.groupsHead.hidden = !this.groups.size;
    setText(this.groupsEmpty, this.emptyText());
  }

  // Live updates ------------------------------------------------------------------------------

  onGlobalEvent(event) {
    if (event.kind === KIND.GAP) {
      this.onGlobalReconnect();
      return;
    }
    if (!event.workflow_id) return;
    if (event.workflow_type) knownTypes.add(event.workflow_type);
    if (event.kind !== KIND.JOB_STARTED && event.kind !== KIND.JOB_COMPLETED && event.kind !== KIND.PROGRESS_UPDATED) {
      this.requestCounts();
    }
    if (document.hidden) {
      // Nothing is read one by one while hidden: the rows shown are read again once shown.
      this.refreshStale = true;
      return;
    }
    if (event.kind === KIND.PROGRESS_UPDATED) {
      this.applyProgress(event);
      return;
    }
    if (!this.mayShow(event)) return;
    this.pending.set(event.workflow_id, event.workflow_type || '');
    this.scheduleFlush();
  }

  /**
   * Whether an event's workflow is worth reading: not when its type is filtered out, nor (grouped)
   * when its type's group is collapsed or its rows are not read yet (the read brings them). A
   * start of a type with no group yet may bring the group.
   */
  mayShow(event) {
    const f = this.filters;
    const type = event.workflow_type || '';
    if (f.type && type && type !== f.type) return false;
    if (!f.grouped) return true;
    const group = this.groups.get(type);
    if (!group) return event.kind === KIND.WORKFLOW_STARTED || event.kind === KIND.WORKFLOW_RETRIED;
    return !group.collapsed && (group.rowSet.loaded || group.rowSet.loading);
  }

  /** After a dropped connection: refresh what is shown (events may have been missed). */
  onGlobalReconnect() {
    this.refreshShown();
    this.requestCounts();
  }

  refreshShown() {
    if (document.hidden) {
      this.refreshStale = true;
      return;
    }
    for (const set of this.rowSets()) set.refresh();
  }

  /** A hidden tab reads nothing: what changed meanwhile is read when it is shown again. */
  visibilityChanged() {
    if (document.hidden) {
      // Not read one by one: once shown, the rows shown are read again instead.
      if (this.pending.size) this.refreshStale = true;
      this.pending.clear();
    } else {
      if (this.refreshStale) {
        this.refreshStale = false;
        this.refreshShown();
      } else {
        // Progress inside jobs was not followed while hidden: read the running rows once.
        let n = 0;
        for (const set of this.rowSets()) {
          for (const [id, row] of set.rows) {
            if (short(row.wf.status) === 'RUNNING' && n++ < FLUSH_BATCH) this.pending.set(id, row.wf.type);
          }
        }
        if (this.pending.size) this.scheduleFlush();
      }
      if (this.countsStale) this.requestCounts(true);
    }
    this.updateDemand();
  }

  scheduleFlush() {
    if (this.flushTimer || this.flushing || document.hidden) return;
    this.flushTimer = setTimeout(() => this.flush(), 60);
  }

  /** Reads the workflows that changed (throttled: one batch at a time) and updates their rows. */
  async flush() {
    this.flushTimer = 0;
    if (this.destroyed || document.hidden) return;
    const ids = [...this.pending.keys()];
    const types = new Set(this.pending.values());
    this.pending.clear();
    if (!ids.length) return;
    this.flushing = true;
    const generation = this.generation;
    try {
      if (ids.length > FLUSH_BATCH) {
        // Many at once: read again the pages of the sets they belong to instead, one read each
        // (new types come with the counts).
        const sets = this.filters.grouped
          ? [...types].map((type) => this.groups.get(type)).filter((g) => g && !g.collapsed).map((g) => g.rowSet)
          : [this.flatSet];
        await Promise.all(sets.map((set) => set.refresh()));
      } else {
        await Promise.all(ids.map(async (id) => {
          try {
            const wf = await api(`${workflowPath(id)}?omit_steps=true`);
            if (generation === this.generation && !this.destroyed) this.place(wf, num(wf.as_of_sequence));
          } catch (error) {
            if (error.httpStatus === 404 && generation === this.generation) this.forget(id);
          }
        }));
      }
    } finally {
      this.flushing = false;
      if (!this.destroyed) {
        for (const set of this.rowSets()) set.renderFoot();
        this.updateDemand();
        if (this.pending.size) this.flushTimer = setTimeout(() => this.flush(), 150);
      }
    }
  }

  /** Puts a workflow read after a change where it belongs: a new type gets its group at once. */
  place(wf, asOf) {
    if (wf.type) knownTypes.add(wf.type);
    if (!this.filters.grouped) {
      this.flatSet.offer(wf, asOf);
      return;
    }
    let group = this.groups.get(wf.type);
    if (!group) {
      if (!this.matches(wf)) return;
      group = this.ensureGroup(wf.type);
    }
    if (!group.collapsed) group.rowSet.offer(wf, asOf);
  }

  forget(id) {
    for (const set of this.rowSets()) set.removeRow(id);
  }

  /** In-job progress, pushed by the global feed while this list shows running rows. */
  applyProgress(event) {
    const set = this.filters.grouped ? this.groups.get(event.workflow_type)?.rowSet : this.flatSet;
    const row = set?.rows.get(event.workflow_id);
    const job = row?.wf.jobs?.find((j) => j.id === event.job_id);
    if (!job) return;
    job.progress = event.progress;
    job.progress_message = event.progress_message;
    this.progressRows.add(row);
    if (this.progressRows.size === 1) nextFrame(() => this.paintProgress());
  }

  paintProgress() {
    for (const row of this.progressRows) {
      const bar = row.node.querySelector('[data-testid="row-progress"]');
      if (bar) setProgress(bar, overallProgress(row.wf));
    }
    this.progressRows.clear();
  }

  /** Asks the global feed for in-job progress while this list is on screen with running rows. */
  updateDemand() {
    if (this.destroyed) return;
    globalFeed.want(!document.hidden && this.rowSets().some((set) => set.hasRunning()));
  }

  onTick(now) {
    for (const node of this.node.querySelectorAll('[data-tick-start]')) {
      setText(node, formatDuration(now - num(node.dataset.tickStart)));
    }
  }

  // Counts ------------------------------------------------------------------------------------

  /** Re-reads the counts at most about once a second (in a hidden tab: once shown again). */
  requestCounts(now = false) {
    if (now) {
      clearTimeout(this.countsTimer);
      this.countsTimer = 0;
      this.loadCounts();
      return;
    }
    if (document.hidden) {
      this.countsStale = true;
      return;
    }
    if (this.countsTimer) return;
    const wait = Math.max(0, this.countsAt + 1000 - Date.now());
    this.countsTimer = setTimeout(() => {
      this.countsTimer = 0;
      this.loadCounts();
    }, wait);
  }

  async loadCounts() {
    this.countsAt = Date.now();
    this.countsStale = false;
    const generation = this.generation;
    let answer;
    try {
      answer = await api('/workflow-counts' + query({ user_id: this.filters.user, summary_contains: this.filters.q }));
    } catch (error) {
      if (generation !== this.generation || this.destroyed) return;
      errorBar.show(`Could not count the workflows: ${describeError(error)}`);
      if (this.counts === null) {
        this.counts = new Map();
        this.renderCounts();
      }
      return;
    }
    if (generation !== this.generation || this.destroyed) return;
    const byType = new Map();
    for (const entry of answer.counts ?? []) {
      if (!byType.has(entry.type)) byType.set(entry.type, new Map());
      byType.get(entry.type).set(short(entry.status), num(entry.count));
      knownTypes.add(entry.type);
    }
    this.counts = byType;
    this.renderCounts();
  }

  renderCounts() {
    this.renderTypeOptions();
    if (this.filters.grouped) this.syncGroups();
    else {
      this.renderCards();
      this.flatSet.renderFoot();
    }
    this.renderLoaded();
  }

  /**
   * How many workflows of `type` ('' : of the type filter, or of every type) match the status
   * filter, by the counts (which follow the user and text filters); null before they are read.
   */
  matchingCount(type) {
    if (!this.counts) return null;
    const f = this.filters;
    const types = type ? [type] : f.type ? [f.type] : [...this.counts.keys()];
    let sum = 0;
    for (const t of types) {
      const statuses = this.counts.get(t);
      if (!statuses) continue;
      if (f.status) sum += statuses.get(f.status) ?? 0;
      else for (const count of statuses.values()) sum += count;
    }
    return sum;
  }

  /** The cards above the flat list: one per type, with its total and chips; updated in place. */
  renderCards() {
    const f = this.filters;
    const types = [...(this.counts?.keys() ?? [])].sort();
    for (const [type, card] of this.cards) {
      if (!this.counts?.has(type)) {
        card.node.remove();
        this.cards.delete(type);
      }
    }
    let previous = null;
    for (const type of types) {
      let card = this.cards.get(type);
      if (!card) {
        const chips = new StatusChips(this, type);
        const total = h('span', { class: 'type-total' });
        const name = h('button', {
          type: 'button', class: 'type-name', testid: 'type-filter', onclick: () => this.toggleType(type),
        }, h('span', {}, type), total);
        card = { node: h('div', { class: 'type-card', testid: 'type-card', data: { type } }, name, chips.node), name, total, chips };
        this.cards.set(type, card);
      }
      const expected = previous ? previous.nextSibling : this.countsNode.firstChild;
      if (expected !== card.node) this.countsNode.insertBefore(card.node, expected);
      previous = card.node;
      const statuses = this.counts.get(type);
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      const active = f.type === type;
      card.node.dataset.total = String(total);
      card.node.classList.toggle('is-active', active);
      card.name.setAttribute('aria-pressed', String(active));
      card.name.title = active ? 'Show every type' : `Show only ${type}`;
      setText(card.total, formatCount(total));
      card.chips.update(statuses);
    }
    this.cardsEmpty.hidden = types.length > 0 || this.counts === null;
  }
}

// ---------------------------------------------------------------------------------------------
// Workflow view: `#/workflows/<id>?level=WARN&job=<job id>&entity=<tag>`

function logFiltersFrom(params) {
  const level = (params.get('level') || '').toUpperCase();
  return {
    level: LEVELS.includes(level) && level !== 'DEBUG' ? level : '',
    job: params.get('job') || '',
    entity: params.get('entity') || '',
  };
}

const sameLogFilters = (a, b) => a.level === b.level && a.job === b.job && a.entity === b.entity;

function workflowHash(id, filters) {
  return `#/workflows/${encodeURIComponent(id)}${query({ level: filters.level, job: filters.job, entity: filters.entity })}`;
}

/** A sequence to resume after, or the sequence of a `LiveStream.resumePoint()`. */
function sequenceOf(after) {
  return typeof after === 'object' && after !== null ? num(after.sequence) : num(after);
}

/**
 * How often a workflow page reads everything again after the server refused to resume: a new
 * WorkflowView is built each time, so the guard lives here, by workflow id. A server that keeps
 * refusing would otherwise have the page reload in a loop; after the second refusal within
 * RELOAD_BACKOFF_MS the page stops and says why.
 */
const RELOAD_BACKOFF_MS = 5000;
const pageReloads = {
  at: new Map(), // workflow id → when its page was last read again

  allow(id) {
    const now = Date.now();
    if (now - (this.at.get(id) ?? 0) < RELOAD_BACKOFF_MS) return false;
    this.at.set(id, now);
    return true;
  },
};

class WorkflowView {
  kind = 'workflow';

  constructor(root, route) {
    this.root = root;
    this.id = route.id;
    this.wf = null;
    this.appliedSequence = 0; // the newest event the state reflects
    this.streams = null; // { state: LiveStream, log: LiveStream | null }
    this.suspended = null; // { stateAfter, logAfter }: where the streams resume once the tab is shown
    this.queue = [];
    this.frameRequested = false;
    this.refetchState = { running: false, again: false, timer: 0, afterEnd: false };
    this.jobViews = new Map();
    this.build();
    this.log = new LogPane(this, logFiltersFrom(route.params));
    this.logSlot.replaceWith(this.log.node);
    ticker.listeners.add(this);
    globalFeed.listeners.add(this);
    this.onVisibility = () => this.visibilityChanged();
    document.addEventListener('visibilitychange', this.onVisibility);
    this.pollTimer = setInterval(() => this.poll(), 2000);
    this.load();
  }

  destroy() {
    this.destroyed = true;
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.closeStreams();
    this.log.destroy();
    ticker.listeners.delete(this);
    globalFeed.listeners.delete(this);
    clearInterval(this.pollTimer);
    clearTimeout(this.refetchState.timer);
    clearTimeout(this.confirmTimer);
  }

  update(route) {
    if (route.view !== 'workflow' || route.id !== this.id) return false;
    const filters = logFiltersFrom(route.params);
    if (!sameLogFilters(filters, this.log.filters)) {
      this.log.setFilters(filters);
      if (this.wf) this.restartLog();
    }
    return true;
  }

  build() {
    document.title = `${this.id} · WorkflowEngine`;
    this.statusNode = h('span', { class: 'status-badge', testid: 'workflow-status' }, 'Loading…');
    this.titleNode = h('h1', { class: 'wf-title', testid: 'workflow-summary', tabindex: '-1' }, this.id);
    this.retryButton = h('button', {
      type: 'button', class: 'btn btn-primary', testid: 'retry-button', hidden: true, onclick: () => this.retry(),
    }, 'Retry');
    this.cancelButton = h('button', {
      type: 'button', class: 'btn btn-danger', testid: 'cancel-button', hidden: true, onclick: () => this.cancel(),
    }, 'Cancel');
    this.actionStatus = h('div', { class: 'action-status', testid: 'action-status', role: 'status' });
    this.metaNode = h('dl', { class: 'meta', testid: 'workflow-meta' });
    this.errorNode = h('div', { class: 'callout callout-error', testid: 'workflow-error', hidden: true });
    this.paramsNode = h('div', { class: 'kv-list', testid: 'workflow-params' });
    this.statsNode = h('div', { class: 'kv-list', testid: 'workflow-stats' });
    this.resultNode = h('div', { class: 'kv-list', testid: 'workflow-result' });
    this.resultBlock = h('div', { class: 'kv-block', hidden: true }, h('h3', {}, 'Result'), this.resultNode);
    this.artifactsNode = h('ul', { class: 'artifact-list', testid: 'workflow-artifacts' });
    this.artifactsBlock = h('div', { class: 'kv-block', hidden: true }, h('h3', {}, 'Files'), this.artifactsNode);
    this.axisNode = h('div', { class: 'timeline-axis', 'aria-hidden': 'true' });
    this.jobsNode = h('div', { class: 'jobs', testid: 'jobs' });
    this.logSlot = h('div');
    this.node = h('div', { class: 'view view-workflow', testid: 'workflow-view' },
      h('div', { class: 'crumbs' }, h('a', { href: '#/', testid: 'back-to-list' }, '← Workflows')),
      h('div', { class: 'wf-header' },
        h('div', { class: 'wf-heading' }, this.statusNode, this.titleNode),
        h('div', { class: 'wf-actions' }, this.retryButton, this.cancelButton)),
      this.actionStatus,
      this.errorNode,
      h('section', { class: 'panel panel-overview' },
        this.metaNode,
        h('div', { class: 'overview-side' },
          h('div', { class: 'kv-block' }, h('h3', {}, 'Parameters'), this.paramsNode),
          h('div', { class: 'kv-block' }, h('h3', {}, 'Stats'), this.statsNode),
          this.resultBlock,
          this.artifactsBlock)),
      h('section', { class: 'panel' },
        h('div', { class: 'panel-head' }, h('h2', {}, 'Jobs'), this.axisNode),
        this.jobsNode),
      this.logSlot);
    this.root.append(this.node);
  }

  async load() {
    let wf;
    try {
      wf = await api(`${workflowPath(this.id)}?omit_steps=true`);
    } catch (error) {
      if (this.destroyed) return;
      this.node.dataset.loaded = 'error';
      setText(this.titleNode, error.httpStatus === 404 ? 'Workflow not found' : 'Could not load the workflow');
      this.errorNode.hidden = false;
      this.errorNode.replaceChildren(h('div', {}, describeError(error)));
      return;
    }
    if (this.destroyed) return;
    const asOf = num(wf.as_of_sequence);
    this.setTree(wf, asOf);
    this.log.baseline = asOf;
    const current = await this.log.reload(asOf);
    if (this.destroyed || !current) return;
    this.openStreams(asOf, asOf);
    this.node.dataset.loaded = 'true';
  }

  // Streams -----------------------------------------------------------------------------------

  /**
   * Follows the workflow: one stream of all its events while the log is unfiltered; else one for
   * its state (everything but steps) and one for the log's steps with the filters applied by the
   * server. `stateAfter`/`logAfter`: where each resumes: a sequence, or the `resumePoint()` of
   * the stream it follows on (which makes the new one check the event at that sequence first).
   *
   * A hidden tab holds no stream (a browser has six connections per host for all its tabs): the
   * streams are closed when the tab is hidden and opened again, after the last sequence each
   * delivered, when it is shown, so nothing is lost or repeated; and, as after a dropped
   * connection, a server that lost events in a crash meanwhile is noticed.
   */
  openStreams(stateAfter, logAfter) {
    this.closeStreams();
    this.streams = null;
    if (document.hidden) {
      this.suspended = { stateAfter, logAfter };
      return;
    }
    this.suspended = null;
    const filters = this.log.serverFilters();
    const base = { workflow_id: this.id };
    if (!filters) {
      const stream = new LiveStream((after) => '/events' + query({ ...base, after_sequence: after }), {
        onEvent: (event) => this.enqueue(event, true, true),
        onEnd: (status) => this.streamEnded(status),
        onRejected: (status) => this.streamRejected(status),
      });
      this.streams = { state: stream, log: null };
      stream.start(sequenceOf(stateAfter) <= sequenceOf(logAfter) ? stateAfter : logAfter);
    } else {
      const state = new LiveStream((after) => '/events' + query({ ...base, after_sequence: after, kinds: STATE_KINDS }), {
        onEvent: (event) => this.enqueue(event, true, false),
        onEnd: (status) => this.streamEnded(status),
        onRejected: (status) => this.streamRejected(status),
      });
      const log = new LiveStream((after) => '/events' + query({ ...base, after_sequence: after, kinds: [KIND.STEP_LOGGED], ...filters }), {
        onEvent: (event) => this.enqueue(event, false, true),
        onEnd: (status) => this.streamEnded(status),
        onRejected: (status) => this.streamRejected(status),
      });
      this.streams = { state, log };
      state.start(stateAfter);
      log.start(logAfter);
    }
  }

  closeStreams() {
    if (!this.streams) return;
    this.streams.state.close();
    this.streams.log?.close();
  }

  /** The newest sequence any stream delivered, at least the state's. */
  newestSequence() {
    const s = this.suspended;
    return Math.max(this.appliedSequence,
      this.streams?.state.lastSequence ?? sequenceOf(s?.stateAfter),
      this.streams?.log?.lastSequence ?? sequenceOf(s?.logAfter));
  }

  /** Where streams following on from the current ones resume (see openStreams). */
  resumePoints() {
    const { state, log } = this.streams;
    return [state.resumePoint(), (log ?? state).resumePoint()];
  }

  /** Hidden: close the streams, keeping where they stopped. Shown: open them there again. */
  visibilityChanged() {
    if (this.destroyed) return;
    if (!document.hidden) {
      if (this.suspended) this.openStreams(this.suspended.stateAfter, this.suspended.logAfter);
      return;
    }
    if (!this.streams) return;
    const { state, log } = this.streams;
    if (state.ended && (!log || log.ended)) return; // the workflow ended: nothing open
    this.openStreams(...this.resumePoints());
  }

  /** The log's filters changed: read its window again and follow with the new filters. */
  async restartLog() {
    // The log's filters changed: it starts afresh. A state-only stream follows on, checked; the
    // state part of an unfiltered stream may have ended on a step, which a state stream does not
    // deliver: it resumes after the sequence alone.
    const stateAfter = this.streams?.log ? this.streams.state.resumePoint()
      : sequenceOf(this.streams?.state.lastSequence ?? this.suspended?.stateAfter ?? this.appliedSequence);
    const bound = this.newestSequence();
    this.closeStreams();
    this.streams = null;
    this.suspended = null;
    this.log.baseline = bound;
    const current = await this.log.reload(bound);
    if (this.destroyed || !current) return; // filters changed again meanwhile: that restart follows
    this.openStreams(stateAfter, bound);
    this.scheduleRefetch();
  }

  streamEnded(status) {
    if (this.destroyed) return;
    if (status.code !== STATUS.OK) {
      this.showAction(`The live view stopped: ${status.status}: ${status.message}`, true);
      return;
    }
    const all = this.streams && [this.streams.state, this.streams.log].filter(Boolean).every((s) => s.ended);
    if (all) this.scheduleRefetch(0, true);
  }

  /**
   * The server refuses to resume: after OUT_OF_RANGE (its log is not the one these sequences
   * came from) read everything again; else say why the page stopped following.
   */
  streamRejected(status) {
    if (this.destroyed) return;
    this.closeStreams();
    if (status.code === STATUS.OUT_OF_RANGE && pageReloads.allow(this.id)) {
      reloadView();
      return;
    }
    this.showAction(`The live view stopped: ${status.status}: ${status.message}`, true);
  }

  /** Opens the streams again after the workflow ran again (retried) once they had ended. */
  resumeIfEnded() {
    if (!this.streams) return;
    const { state, log } = this.streams;
    if (!state.ended && !(log && log.ended)) return;
    this.openStreams(...this.resumePoints());
  }

  onGlobalEvent(event) {
    if (event.workflow_id !== this.id) return;
    if (event.kind === KIND.WORKFLOW_RETRIED) this.resumeIfEnded();
  }

  onGlobalReconnect() {
    this.scheduleRefetch();
  }

  enqueue(event, forState, forLog) {
    this.queue.push({ event, forState, forLog });
    if (this.frameRequested) return;
    this.frameRequested = true;
    nextFrame(() => this.flush());
  }

  /** Applies the events of one frame: state first, then the log, then one render. */
  flush() {
    this.frameRequested = false;
    if (this.destroyed) return;
    const batch = this.queue;
    this.queue = [];
    const steps = [];
    let changed = false;
    for (const { event, forState, forLog } of batch) {
      if (forState && this.wf) changed = this.apply(event) || changed;
      if (forLog && (event.kind === KIND.STEP_LOGGED || event.kind === KIND.GAP)) steps.push(event);
    }
    if (steps.length) this.log.appendLive(steps);
    if (changed) this.render();
  }

  // State -------------------------------------------------------------------------------------

  /** Takes a tree read from the API: whole if it is at least as new as the state, else only its details. */
  setTree(wf, asOf) {
    if (!this.wf || !asOf || asOf >= this.appliedSequence) {
      this.wf = wf;
      this.appliedSequence = Math.max(this.appliedSequence, asOf);
    } else {
      // Older than what the events already told: keep the live fields, take what events do not carry.
      const current = this.wf;
      for (const job of wf.jobs ?? []) {
        const mine = current.jobs.find((j) => j.id === job.id);
        if (!mine) continue;
        mine.failed_attempts = job.failed_attempts;
        if (job.worker) mine.worker = job.worker;
        if (!mine.stack && job.stack) mine.stack = job.stack;
        if (!mine.error && job.error) mine.error = job.error;
      }
      if (!current.failed_job_name) current.failed_job_name = wf.failed_job_name;
    }
    this.render();
  }

  /** Applies one event to the state; returns whether anything shown changed. */
  apply(event) {
    if (event.kind === KIND.GAP) {
      this.scheduleRefetch();
      return false;
    }
    const sequence = num(event.sequence);
    if (sequence <= this.appliedSequence) return false;
    this.appliedSequence = sequence;
    const wf = this.wf;
    const job = event.job_id ? wf.jobs.find((j) => j.id === event.job_id) : null;
    const at = String(event.timestamp_ms);
    switch (event.kind) {
      case KIND.WORKFLOW_STARTED:
        wf.status = 'WORKFLOW_STATUS_RUNNING';
        break;
      case KIND.WORKFLOW_RETRIED:
        wf.status = 'WORKFLOW_STATUS_RUNNING';
        wf.attempt = event.attempt || wf.attempt;
        wf.finished_at_ms = '0';
        wf.error = '';
        this.cancelRequested = false;
        this.scheduleRefetch();
        break;
      case KIND.WORKFLOW_COMPLETED:
      case KIND.WORKFLOW_FAILED:
      case KIND.WORKFLOW_CANCELLED:
        wf.status = event.workflow_status || {
          [KIND.WORKFLOW_COMPLETED]: 'WORKFLOW_STATUS_COMPLETED',
          [KIND.WORKFLOW_FAILED]: 'WORKFLOW_STATUS_FAILED',
          [KIND.WORKFLOW_CANCELLED]: 'WORKFLOW_STATUS_CANCELLED',
        }[event.kind];
        wf.finished_at_ms = at;
        if (event.stats) wf.stats = event.stats;
        if (event.error) wf.error = event.error;
        this.cancelRequested = false;
        this.scheduleRefetch();
        break;
      case KIND.WORKFLOW_CANCEL_REQUESTED:
        this.cancelRequested = true;
        break;
      case KIND.JOB_STARTED:
        if (!job) break;
        job.status = 'JOB_STATUS_RUNNING';
        job.started_at_ms = at;
        job.finished_at_ms = '0';
        job.attempt = event.attempt || job.attempt;
        job.progress = 0;
        job.progress_message = '';
        job.error = '';
        job.stack = '';
        job.next_attempt_at_ms = '0';
        break;
      case KIND.JOB_COMPLETED:
      case KIND.JOB_FAILED:
      case KIND.JOB_CANCELLED:
        if (!job) break;
        job.status = event.job_status || {
          [KIND.JOB_COMPLETED]: 'JOB_STATUS_COMPLETED',
          [KIND.JOB_FAILED]: 'JOB_STATUS_FAILED',
          [KIND.JOB_CANCELLED]: 'JOB_STATUS_CANCELLED',
        }[event.kind];
        job.finished_at_ms = at;
        if (event.stats) job.stats = event.stats;
        if (event.kind === KIND.JOB_COMPLETED) job.progress = 1;
        if (event.kind === KIND.JOB_FAILED) {
          job.error = event.error;
          job.stack = event.stack;
          wf.failed_job_name = job.name;
          wf.failed_job_id = job.id;
          this.scheduleRefetch();
        }
        break;
      case KIND.JOB_RETRY_SCHEDULED:
      case KIND.JOB_INTERRUPTED:
        if (job) {
          job.status = 'JOB_STATUS_PENDING';
          if (event.retry_at_ms) job.next_attempt_at_ms = event.retry_at_ms;
          if (event.error) job.error = event.error;
        }
        this.scheduleRefetch();
        break;
      case KIND.JOB_ASSIGNED:
        if (job && event.worker) job.worker = event.worker;
        break;
      case KIND.PROGRESS_UPDATED:
        if (!job) break;
        job.progress = event.progress;
        job.progress_message = event.progress_message;
        break;
      case KIND.STATS_UPDATED:
        if (event.stats) {
          if (job) job.stats = event.stats;
          else wf.stats = event.stats;
        }
        break;
      case KIND.STEP_LOGGED:
        if (job) job.step_count = num(job.step_count) + 1;
        return false; // the log shows it; counts render with the next state change or tick
      default:
        return false;
    }
    return true;
  }

  /** Re-reads the tree (throttled, one read at a time): for what events do not carry. */
  scheduleRefetch(delay = 300, afterEnd = false) {
    const r = this.refetchState;
    if (afterEnd) r.afterEnd = true;
    if (r.running) {
      r.again = true;
      return;
    }
    if (r.timer) return;
    r.timer = setTimeout(() => this.refetch(), delay);
  }

  async refetch() {
    const r = this.refetchState;
    r.timer = 0;
    r.running = true;
    const afterEnd = r.afterEnd;
    r.afterEnd = false;
    try {
      const wf = await api(`${workflowPath(this.id)}?omit_steps=true`);
      if (this.destroyed) return;
      this.setTree(wf, num(wf.as_of_sequence));
      // The watch ended, but the workflow runs again (retried meanwhile): follow it again.
      if (afterEnd && short(wf.status) === 'RUNNING') this.resumeIfEnded();
    } catch { /* shown when it matters by the streams' state; the next change reads again */ } finally {
      r.running = false;
      if (r.again && !this.destroyed) {
        r.again = false;
        this.scheduleRefetch(500);
      }
    }
  }

  /** While the log is filtered its steps do not reach the state: keep the step counts fresh. */
  poll() {
    if (document.hidden || !this.wf || !this.streams?.log) return;
    if (short(this.wf.status) === 'RUNNING') this.scheduleRefetch(0);
  }

  // Actions -----------------------------------------------------------------------------------

  async retry() {
    this.retryButton.disabled = true;
    this.showAction('Retrying…');
    try {
      const answer = await api(`${workflowPath(this.id)}/retry`, { method: 'POST', body: {} });
      this.showAction(`Retried: attempt ${answer.attempt}, from ${answer.job_name || 'the failed job'}.`);
      this.resumeIfEnded();
      this.scheduleRefetch(0);
    } catch (error) {
      this.showAction(`Retry failed: ${describeError(error)}`, true);
    } finally {
      this.retryButton.disabled = false;
    }
  }

  async cancel() {
    if (this.cancelButton.dataset.confirming !== 'true') {
      this.cancelButton.dataset.confirming = 'true';
      this.cancelButton.textContent = 'Confirm cancel';
      clearTimeout(this.confirmTimer);
      this.confirmTimer = setTimeout(() => this.resetCancelButton(), 5000);
      return;
    }
    this.resetCancelButton();
    this.cancelButton.disabled = true;
    this.showAction('Cancelling…');
    try {
      await api(`${workflowPath(this.id)}/cancel`, { method: 'POST', body: { reason: 'Cancelled from the console' } });
      this.cancelRequested = true;
      this.showAction('Cancel requested.');
      this.render();
    } catch (error) {
      this.showAction(`Cancel failed: ${describeError(error)}`, true);
    } finally {
      this.cancelButton.disabled = false;
    }
  }

  resetCancelButton() {
    clearTimeout(this.confirmTimer);
    delete this.cancelButton.dataset.confirming;
    this.cancelButton.textContent = 'Cancel';
  }

  showAction(text, isError = false) {
    setText(this.actionStatus, text);
    this.actionStatus.classList.toggle('is-error', isError);
    this.actionStatus.dataset.testid = isError ? 'action-error' : 'action-status';
  }

  // Rendering ---------------------------------------------------------------------------------

  render() {
    const wf = this.wf;
    if (!wf) return;
    const status = short(wf.status);
    document.title = `${wf.summary || wf.type} · WorkflowEngine`;
    const look = STATUS_LOOK[status] ?? STATUS_LOOK.UNSPECIFIED;
    const label = status === 'RUNNING' && this.cancelRequested ? 'Cancelling…' : look.label;
    this.statusNode.dataset.status = status;
    this.statusNode.className = `status-badge st-badge-${status.toLowerCase()}`;
    setText(this.statusNode, `${look.symbol} ${label}`);
    setText(this.titleNode, wf.summary || `${wf.type} workflow`);
    this.titleNode.classList.toggle('muted', !wf.summary);
    setHidden(this.retryButton, status !== 'FAILED', this.titleNode);
    setHidden(this.cancelButton, status !== 'RUNNING', this.titleNode);
    if (this.cancelButton.hidden) this.resetCancelButton();
    this.renderMeta(wf);
    this.renderError(wf, status);
    this.renderKeyValues(this.paramsNode, wf.params, 'No parameters');
    this.renderKeyValues(this.statsNode, this.workflowCounters(wf, status), 'None yet');
    this.resultBlock.hidden = !Object.keys(wf.result ?? {}).length;
    this.renderKeyValues(this.resultNode, wf.result, '');
    this.renderArtifacts(wf.artifacts ?? []);
    this.renderJobs(wf);
    this.log.renderJobOptions(wf.jobs);
    this.log.renderCount();
  }

  /** The workflow's counters; while it runs (they are set when it ends), its jobs' summed. */
  workflowCounters(wf, status) {
    const own = wf.stats?.counters ?? {};
    if (isTerminal(status) && Object.keys(own).length) return own;
    const sum = {};
    for (const job of wf.jobs ?? []) {
      for (const [name, value] of Object.entries(job.stats?.counters ?? {})) sum[name] = (sum[name] ?? 0) + num(value);
    }
    return Object.keys(sum).length ? sum : own;
  }

  renderMeta(wf) {
    const user = wf.user_name && wf.user_id && wf.user_name !== wf.user_id ? `${wf.user_name} (${wf.user_id})` : wf.user_name || wf.user_id || '—';
    const items = [
      ['Type', wf.type, 'meta-type'],
      ['ID', wf.id, 'meta-id'],
      ['User', user, 'meta-user'],
      ['Attempt', String(wf.attempt || 1), 'meta-attempt'],
      ['Created', fullDateTime(num(wf.created_at_ms)) || '—', 'meta-created'],
      ['Finished', fullDateTime(num(wf.finished_at_ms)) || '—', 'meta-finished'],
      ['Duration', formatDuration(workflowDuration(wf)), 'meta-duration'],
    ];
    if (num(wf.deadline_at_ms)) items.push(['Deadline', fullDateTime(num(wf.deadline_at_ms)), 'meta-deadline']);
    if (wf.request_id) items.push(['Request', wf.request_id, 'meta-request']);
    const key = JSON.stringify(items.filter(([, , id]) => id !== 'meta-duration'));
    if (this.metaKey !== key) {
      this.metaKey = key;
      this.metaNode.replaceChildren(...items.map(([name, value, testid]) =>
        h('div', { class: 'meta-item' }, h('dt', {}, name), h('dd', { testid }, value))));
    } else {
      setText(this.metaNode.querySelector('[data-testid="meta-duration"]'), formatDuration(workflowDuration(wf)));
    }
  }

  renderError(wf, status) {
    const show = status === 'FAILED' && (wf.error || wf.failed_job_name);
    this.errorNode.hidden = !show;
    if (!show) return;
    const key = `${wf.failed_job_name}\n${wf.error}`;
    if (this.errorNode.dataset.key === key) return;
    this.errorNode.dataset.key = key;
    this.errorNode.replaceChildren(
      h('strong', {}, `Failed at ${wf.failed_job_name || 'a job'}`),
      wf.error ? h('span', {}, `: ${wf.error}`) : null);
  }

  /** The files the workflow produced, each a download link with its size. */
  renderArtifacts(artifacts) {
    this.artifactsBlock.hidden = !artifacts.length;
    const key = JSON.stringify(artifacts.map((a) => [a.id, a.sha256]));
    if (this.artifactsNode.dataset.key === key) return;
    this.artifactsNode.dataset.key = key;
    this.artifactsNode.replaceChildren(...artifacts.map((artifact) => h('li', { class: 'artifact' },
      h('a', {
        href: artifactHref(artifact.id), download: artifact.name, testid: 'artifact-link',
        title: `${artifact.content_type}, SHA-256 ${artifact.sha256}`,
      }, artifact.name),
      h('span', { class: 'muted' }, ` ${formatBytes(num(artifact.size_bytes))}`))));
  }

  renderKeyValues(node, map, emptyText) {
    const entries = Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b));
    const key = JSON.stringify(entries);
    if (node.dataset.key === key) return;
    node.dataset.key = key;
    if (!entries.length) {
      node.replaceChildren(h('span', { class: 'muted' }, emptyText));
      return;
    }
    node.replaceChildren(...entries.map(([k, v]) => h('span', { class: 'kv', data: { key: k } },
      h('span', { class: 'kv-key' }, k),
      h('span', { class: 'kv-value' }, /^\d+$/.test(String(v)) ? formatCount(v) : String(v)))));
  }

  renderJobs(wf) {
    const now = Date.now();
    const start = num(wf.started_at_ms) || num(wf.created_at_ms);
    const end = num(wf.finished_at_ms) && isTerminal(short(wf.status)) ? num(wf.finished_at_ms) : now;
    const span = Math.max(1, end - start);
    setText(this.axisNode, `0 s — ${formatDuration(span)}${isTerminal(short(wf.status)) ? '' : ' (now)'}`);
    if (!wf.jobs?.length) {
      if (!this.jobsNode.firstChild) this.jobsNode.append(h('div', { class: 'muted' }, 'No jobs.'));
      return;
    }
    for (const job of wf.jobs) {
      let view = this.jobViews.get(job.id);
      if (!view) {
        view = new JobView(job);
        this.jobViews.set(job.id, view);
        this.jobsNode.append(view.node);
      }
      view.update(job, start, span, now);
    }
  }

  onTick(now) {
    if (!this.wf) return;
    if (short(this.wf.status) === 'RUNNING') {
      const duration = this.metaNode.querySelector('[data-testid="meta-duration"]');
      if (duration) setText(duration, formatDuration(workflowDuration(this.wf, now)));
      this.renderJobs(this.wf);
      this.log.renderCount();
    }
  }
}

/** One job's row: status, timeline bar, progress, counters, attempts, error and stack. */
class JobView {
  constructor(job) {
    this.symbolSlot = h('span', { class: 'job-sym' });
    this.name = h('span', { class: 'job-name' });
    this.attempt = h('span', { class: 'job-attempt' });
    this.duration = h('span', { class: 'job-duration num' });
    this.bar = h('span', { class: 'job-bar' });
    this.segments = h('span', { class: 'job-segments' });
    this.track = h('span', { class: 'job-track', title: '' }, this.segments, this.bar);
    this.progress = progressBar(0, 'job-progress', `Progress of ${job.name}`);
    this.percent = h('span', { class: 'job-percent num' });
    this.message = h('span', { class: 'job-message', testid: 'job-progress-message' });
    this.extra = h('div', { class: 'job-extra' });
    this.node = h('div', { class: 'job', testid: 'job-row', data: { jobId: job.id } },
      h('div', { class: 'job-head' }, this.symbolSlot, h('span', { class: 'job-title' }, this.name, this.attempt), this.duration),
      this.track,
      h('div', { class: 'job-progress-cell' }, h('div', { class: 'job-progress-line' }, this.progress, this.percent), this.message),
      this.extra);
  }

  update(job, wfStart, span, now) {
    const status = short(job.status);
    if (this.node.dataset.status !== status) {
      this.node.dataset.status = status;
      this.node.className = `job st-job-${status.toLowerCase()}`;
      this.symbolSlot.replaceChildren(statusSymbol(status));
      this.bar.className = `job-bar st-bar-${status.toLowerCase()}`;
    }
    setText(this.name, `${num(job.position) + 1}. ${job.name}`);
    setText(this.attempt, num(job.attempt) > 1 ? `attempt ${job.attempt}` : '');
    const started = num(job.started_at_ms);
    const finished = num(job.finished_at_ms);
    const running = status === 'RUNNING';
    const waiting = status === 'PENDING';
    const jobEnd = finished || (running ? now : started);
    setText(this.duration, started && !waiting ? formatDuration(jobEnd - started) : '');
    const place = (node, from, to) => {
      const left = Math.min(100, Math.max(0, ((from - wfStart) / span) * 100));
      const width = Math.max(0.6, Math.min(100 - left, ((to - from) / span) * 100));
      node.style.left = `${left}%`;
      node.style.width = `${width}%`;
    };
    if (started && !waiting) {
      place(this.bar, started, jobEnd);
      this.bar.hidden = false;
      this.track.title = `${clockTimeMs(started)} → ${finished ? clockTimeMs(finished) : 'now'}`;
    } else {
      this.bar.hidden = true;
      this.track.title = waiting ? (started ? 'Waiting for its next attempt' : 'Not started') : '';
    }
    // Earlier attempts, fainter, where they ran.
    const attempts = (job.failed_attempts ?? []).filter((a) => num(a.started_at_ms) && num(a.attempt) !== num(job.attempt));
    const segmentKey = attempts.map((a) => `${a.attempt}:${a.started_at_ms}:${a.finished_at_ms}`).join(',') + `|${span}`;
    if (this.segmentKey !== segmentKey) {
      this.segmentKey = segmentKey;
      this.segments.replaceChildren(...attempts.map((a) => {
        const outcome = short(a.outcome).replace('JOB_ATTEMPT_OUTCOME_', '').toLowerCase();
        const title = `Attempt ${a.attempt}: ${OUTCOME_LABEL[a.outcome] ?? a.outcome}`;
        const node = h('span', { class: `job-segment outcome-${outcome}`, title });
        place(node, num(a.started_at_ms), num(a.finished_at_ms) || num(a.started_at_ms));
        return node;
      }));
    }
    const progress = status === 'COMPLETED' ? 1 : Number(job.progress) || 0;
    setProgress(this.progress, progress);
    setText(this.percent, `${Math.floor(progress * 100)}%`);
    let message = job.progress_message || '';
    if (status === 'PENDING' && num(job.next_attempt_at_ms)) message = `Next attempt at ${clockTime(num(job.next_attempt_at_ms))}`;
    setText(this.message, message);
    this.updateExtra(job, status);
  }

  updateExtra(job, status) {
    const counters = job.stats?.counters ?? {};
    // A failed job's current attempt is its error above; the list holds the ones before.
    const attempts = (job.failed_attempts ?? []).filter((a) => !(status === 'FAILED' && num(a.attempt) === num(job.attempt)));
    const outputs = job.outputs ?? {};
    const key = JSON.stringify([status, counters, attempts, job.error, job.stack, job.step_count, job.worker, job.queue, outputs]);
    if (this.extraKey === key) return;
    this.extraKey = key;
    const parts = [];
    const facts = [];
    for (const [name, value] of Object.entries(counters).sort(([a], [b]) => a.localeCompare(b))) {
      facts.push(h('span', { class: 'kv', data: { key: name } },
        h('span', { class: 'kv-key' }, name), h('span', { class: 'kv-value' }, formatCount(value))));
    }
    facts.push(h('span', { class: 'kv' },
      h('span', { class: 'kv-key' }, 'steps'),
      h('span', { class: 'kv-value', testid: 'job-step-count' }, formatCount(num(job.step_count)))));
    if (job.worker?.name) {
      facts.push(h('span', { class: 'kv' }, h('span', { class: 'kv-key' }, 'worker'), h('span', { class: 'kv-value' }, job.worker.name)));
    }
    if (job.queue) facts.push(h('span', { class: 'kv' }, h('span', { class: 'kv-key' }, 'queue'), h('span', { class: 'kv-value' }, job.queue)));
    parts.push(h('div', { class: 'kv-list job-facts' }, facts));
    const outputEntries = Object.entries(outputs).sort(([a], [b]) => a.localeCompare(b));
    if (outputEntries.length) {
      parts.push(h('div', { class: 'kv-list job-outputs', testid: 'job-outputs', 'aria-label': 'Outputs' },
        h('span', { class: 'job-outputs-label' }, 'outputs'),
        outputEntries.map(([name, value]) => h('span', { class: 'kv', data: { key: name } },
          h('span', { class: 'kv-key' }, name), h('span', { class: 'kv-value' }, value)))));
    }
    if (status === 'FAILED' && (job.error || job.stack)) {
      parts.push(h('div', { class: 'callout callout-error job-error', testid: 'job-error' },
        h('div', {}, h('strong', {}, 'Error: '), job.error || '(no message)'),
        job.stack ? h('details', { class: 'stack', open: true }, h('summary', {}, 'Stack'), h('pre', { testid: 'job-stack' }, job.stack)) : null));
    }
    if (attempts.length) {
      parts.push(h('details', { class: 'attempts', testid: 'job-attempts', open: true },
        h('summary', {}, attempts.length === 1 ? 'An earlier attempt did not succeed' : `${attempts.length} earlier attempts did not succeed`),
        h('ol', { class: 'attempt-list' }, attempts.map((a) => {
          const start = num(a.started_at_ms);
          const end = num(a.finished_at_ms);
          const data = { attempt: String(a.attempt), outcome: short(a.outcome).replace('JOB_ATTEMPT_OUTCOME_', '') };
          const worker = a.worker?.name ? `on ${a.worker.name}${a.worker.instance_id ? ` (${a.worker.instance_id})` : ''}` : '';
          return h('li', { class: 'attempt', testid: 'job-attempt', data },
            h('div', { class: 'attempt-head' },
              h('span', { class: 'attempt-no' }, `#${a.attempt}`),
              h('span', { class: 'attempt-outcome' }, OUTCOME_LABEL[a.outcome] ?? a.outcome),
              h('span', { class: 'muted' }, start ? `${clockTimeMs(start)}${end ? ` · ${formatDuration(end - start)}` : ''}` : ''),
              worker ? h('span', { class: 'muted' }, worker) : null),
            h('div', { class: 'attempt-error', testid: 'attempt-error' },
              a.error_code ? h('code', {}, a.error_code) : null, a.error || '(no message)'),
            a.stack ? h('details', { class: 'stack' },
              h('summary', { testid: 'attempt-stack-toggle' }, 'Stack'),
              h('pre', { testid: 'attempt-stack' }, a.stack)) : null);
        }))));
    }
    this.extra.replaceChildren(...parts);
  }
}

// ---------------------------------------------------------------------------------------------
// The log: a window of at most LOG_WINDOW rows over the workflow's steps

/**
 * The log of one workflow page.
 *
 * Holds a window of steps in sequence order. While the window reaches the newest step
 * (`atNewest`), live steps are appended to it; otherwise they are kept in `buffer` until the
 * user comes back to the end. Scrolling to the top reads the page before the first row;
 * scrolling to the bottom of a window that is not at the newest reads the page after the last
 * row. Rows beyond LOG_WINDOW are dropped from the far end.
 *
 * Re-attaching to the live end is exact: the buffer is emptied when a read is sent, so it then
 * holds every step the stream delivered after the read's answer was made (plus some it already
 * had: dropped by sequence). A buffer that overflowed meanwhile is not trusted: read again.
 */
class LogPane {
  constructor(view, filters) {
    this.view = view;
    this.filters = filters;
    this.rows = []; // { sequence, node }
    this.hasOlder = false;
    this.atNewest = true;
    this.following = true;
    this.buffer = [];
    this.bufferValid = true;
    this.newCount = 0;
    this.busy = false;
    this.generation = 0;
    this.baseline = 0; // steps at or below it are already covered by the window's read
    this.edgeError = ''; // why the last read at the window's top failed
    this.build();
  }

  build() {
    this.levelInput = h('select', {
      testid: 'filter-level', 'aria-label': 'Minimum level', onchange: () => this.changeFilters({ level: this.levelInput.value }),
    },
      h('option', { value: '' }, 'All levels'),
      h('option', { value: 'INFO' }, 'Info and above'),
      h('option', { value: 'WARN' }, 'Warnings and errors'),
      h('option', { value: 'ERROR' }, 'Errors only'));
    this.jobInput = h('select', {
      testid: 'filter-job', 'aria-label': 'Job', onchange: () => this.changeFilters({ job: this.jobInput.value }),
    }, h('option', { value: '' }, 'All jobs'));
    this.entityChip = h('span', { class: 'filter-chip', testid: 'filter-entity', hidden: true },
      h('span', { class: 'filter-chip-label' }),
      h('button', {
        type: 'button', class: 'filter-chip-remove', testid: 'filter-entity-remove',
        'aria-label': 'Remove the entity filter', title: 'Remove the entity filter', onclick: () => this.changeFilters({ entity: '' }),
      }, '×'));
    this.countNode = h('span', { class: 'log-count muted', testid: 'log-count' });
    this.jumpButton = h('button', {
      type: 'button', class: 'btn btn-small btn-primary jump', testid: 'jump-newest', hidden: true, onclick: () => this.jumpToNewest(),
    }, 'Jump to newest');
    this.topNode = h('div', { class: 'log-edge', testid: 'log-top' });
    this.list = h('div', { class: 'log-rows', role: 'log', 'aria-live': 'off' });
    this.emptyNode = h('div', { class: 'empty log-empty', testid: 'log-empty', hidden: true });
    this.viewport = h('div', { class: 'log-viewport', testid: 'log-viewport', tabindex: '0', onscroll: () => this.onScroll() },
      this.topNode, this.list, this.emptyNode);
    this.node = h('section', { class: 'panel panel-log', testid: 'log' },
      h('div', { class: 'panel-head log-head' },
        h('h2', {}, 'Log'),
        h('div', { class: 'log-tools' }, this.levelInput, this.jobInput, this.entityChip),
        this.countNode),
      h('div', { class: 'log-frame' }, this.viewport, this.jumpButton));
    this.syncInputs();
    // Rows change height after they are added (fonts, wrapping, a resized window): stay at the end.
    this.resizeObserver = new ResizeObserver(() => {
      if (this.following && this.atNewest) this.viewport.scrollTop = this.viewport.scrollHeight;
    });
    this.resizeObserver.observe(this.list);
    this.resizeObserver.observe(this.viewport);
  }

  destroy() {
    this.resizeObserver.disconnect();
  }

  setFilters(filters) {
    this.filters = filters;
    this.syncInputs();
  }

  syncInputs() {
    this.levelInput.value = this.filters.level;
    if (this.filters.job && ![...this.jobInput.options].some((o) => o.value === this.filters.job)) {
      this.jobInput.append(h('option', { value: this.filters.job }, this.filters.job));
    }
    this.jobInput.value = this.filters.job;
    setHidden(this.entityChip, !this.filters.entity, this.jobInput);
    setText(this.entityChip.querySelector('.filter-chip-label'), `entity: ${this.filters.entity}`);
  }

  changeFilters(change) {
    location.hash = workflowHash(this.view.id, { ...this.filters, ...change });
  }

  renderJobOptions(jobs) {
    const key = (jobs ?? []).map((j) => `${j.id}\n${j.name}`).join('\n');
    if (this.jobsKey === key) return;
    this.jobsKey = key;
    const options = (jobs ?? []).map((j) => h('option', { value: j.id }, `${num(j.position) + 1}. ${j.name}`));
    this.jobInput.replaceChildren(h('option', { value: '' }, 'All jobs'), ...options);
    this.syncInputs();
  }

  /** The filters the server applies, as query parameters; null when there are none. */
  serverFilters() {
    const f = this.filters;
    if (!f.level && !f.job && !f.entity) return null;
    return { min_level: f.level ? `LOG_LEVEL_${f.level}` : '', job_id: f.job, entity_tag: f.entity };
  }

  stepsPath(bounds) {
    const f = this.serverFilters() ?? {};
    return `${workflowPath(this.view.id)}/steps` + query({ ...f, ...bounds, page_size: LOG_PAGE });
  }

  /**
   * Reads the newest steps at or below `bound` into an empty window (no stream runs meanwhile).
   * Resolves to false when another reload started meanwhile.
   */
  async reload(bound) {
    const generation = ++this.generation;
    this.rows = [];
    this.list.replaceChildren();
    this.atNewest = true;
    this.following = true;
    this.hasOlder = false;
    this.buffer = [];
    this.bufferValid = true;
    this.newCount = 0;
    this.busy = true;
    this.node.dataset.loading = 'true';
    setText(this.topNode, '');
    let page;
    try {
      page = await api(this.stepsPath({ before_sequence: bound + 1 }));
    } catch (error) {
      if (generation !== this.generation) return false;
      this.busy = false;
      this.node.dataset.loading = 'false';
      this.edgeError = `Could not read the log: ${describeError(error)}`;
      this.renderState();
      return true;
    }
    if (generation !== this.generation) return false;
    this.busy = false;
    this.edgeError = '';
    this.node.dataset.loading = 'false';
    this.hasOlder = !!page.has_more;
    this.insert(page.steps ?? [], 'end');
    this.renderState();
    this.scrollToBottom();
    return true;
  }

  /** Live steps (and gap markers) from the stream, in order. */
  appendLive(events) {
    const last = this.lastSequence();
    const fresh = events.filter((e) => e.kind === KIND.GAP || num(e.sequence) > Math.max(last, this.baseline));
    if (!fresh.length) return;
    if (!this.atNewest) {
      this.keep(fresh);
      return;
    }
    const wouldOverflow = this.rows.length + fresh.length > LOG_WINDOW;
    if (!this.following && wouldOverflow) {
      // The user reads older lines: do not pull them away; keep the new ones for later.
      this.atNewest = false;
      this.buffer = [];
      this.bufferValid = true;
      this.keep(fresh);
      return;
    }
    this.insert(fresh.length > LOG_WINDOW ? fresh.slice(-LOG_WINDOW) : fresh, 'end');
    if (fresh.length > LOG_WINDOW) this.hasOlder = true;
    this.trim('start');
    this.renderState();
    if (this.following) this.scrollToBottom();
  }

  /** Keeps live steps for later: the newest LOG_WINDOW of them (`bufferValid` false once some went). */
  keep(events) {
    this.newCount += events.filter((e) => e.kind === KIND.STEP_LOGGED).length;
    this.buffer.push(...events);
    if (this.buffer.length > LOG_WINDOW) {
      this.buffer.splice(0, this.buffer.length - LOG_WINDOW);
      this.bufferValid = false;
    }
    this.renderState();
  }

  lastSequence() {
    return this.rows.length ? this.rows[this.rows.length - 1].sequence : 0;
  }

  /** Adds steps at one end of the window (they are in order and beyond that end). */
  insert(events, where) {
    const nodes = [];
    const rows = [];
    // A gap row takes the sequence of the step before it (in this batch, or the window's last).
    let last = where === 'end' ? this.lastSequence() : 0;
    for (const event of events) {
      const node = event.kind === KIND.GAP ? this.gapRow(event) : this.stepRow(event);
      nodes.push(node);
      if (event.kind !== KIND.GAP) {
        last = num(event.sequence);
        rows.push({ sequence: last, node });
      } else {
        rows.push({ sequence: last, node, gap: true });
      }
    }
    if (!nodes.length) return;
    const fragment = document.createDocumentFragment();
    fragment.append(...nodes);
    if (where === 'end') {
      this.list.append(fragment);
      this.rows.push(...rows);
    } else {
      this.list.prepend(fragment);
      this.rows.unshift(...rows);
    }
  }

  stepRow(event) {
    const step = event.step ?? {};
    const level = short(event.level || step.level);
    const ms = num(event.timestamp_ms || step.timestamp_ms);
    const entity = step.entity;
    const attempt = event.attempt || step.attempt || 1;
    let entityNode = null;
    if (entity?.tag) {
      entityNode = h('span', { class: 'log-entity-cell' },
        h('a', {
          class: 'log-entity', testid: 'entity-link',
          href: workflowHash(this.view.id, { ...this.filters, entity: entity.tag }),
          title: `Show only the lines of ${entity.tag}${entity.type ? ` (${entity.type}${entity.id ? ` ${entity.id}` : ''})` : ''}`,
        }, entity.tag),
        entityOpenLink(entity));
    }
    return h('div', { class: `log-row lvl-${level.toLowerCase()}`, testid: 'log-row', data: { sequence: String(event.sequence) } },
      h('span', { class: 'log-time', title: fullDateTime(ms) }, clockTimeMs(ms)),
      h('span', { class: 'log-level' }, level),
      h('span', { class: 'log-job', title: `Job ${event.job_name}, attempt ${attempt}` },
        event.job_name || '', h('span', { class: 'log-attempt' }, `#${attempt}`)),
      h('span', { class: 'log-msg' }, event.message || step.message || ''),
      entityNode);
  }

  gapRow(event) {
    return h('div', { class: 'log-row log-gap', testid: 'log-gap' },
      `⋯ events ${event.gap_from_sequence}–${event.gap_to_sequence} are no longer retained`);
  }

  /** Drops rows beyond LOG_WINDOW from one end, keeping what is on screen in place. */
  trim(end) {
    const excess = this.rows.length - LOG_WINDOW;
    if (excess <= 0) return;
    if (end === 'start') {
      const before = this.viewport.scrollHeight;
      for (const row of this.rows.splice(0, excess)) row.node.remove();
      this.hasOlder = true;
      if (!this.following) this.viewport.scrollTop -= before - this.viewport.scrollHeight;
    } else {
      for (const row of this.rows.splice(this.rows.length - excess)) row.node.remove();
      if (this.atNewest) {
        this.atNewest = false;
        this.buffer = [];
        this.bufferValid = true;
      }
    }
  }

  onScroll() {
    const v = this.viewport;
    this.following = v.scrollTop + v.clientHeight >= v.scrollHeight - 8;
    if (this.busy) {
      this.renderState();
      return;
    }
    if (v.scrollTop < 160 && this.hasOlder) this.loadOlder();
    else if (!this.atNewest && v.scrollTop + v.clientHeight >= v.scrollHeight - 160) this.loadNewer();
    this.renderState();
  }

  async loadOlder() {
    if (this.busy || !this.rows.length) return;
    const generation = this.generation;
    this.busy = true;
    setText(this.topNode, 'Loading older lines…');
    try {
      const first = this.rows.find((r) => !r.gap)?.sequence ?? this.rows[0].sequence;
      const page = await api(this.stepsPath({ before_sequence: first }));
      if (generation !== this.generation) return;
      const steps = (page.steps ?? []).filter((s) => num(s.sequence) < first);
      const before = this.viewport.scrollHeight;
      this.insert(steps, 'start');
      this.viewport.scrollTop += this.viewport.scrollHeight - before;
      this.hasOlder = !!page.has_more;
      this.edgeError = '';
      this.trim('end');
    } catch (error) {
      if (generation !== this.generation) return;
      this.edgeError = `Could not read older lines: ${describeError(error)}`;
      this.busy = false;
      this.renderState();
      return;
    } finally {
      if (generation === this.generation) this.busy = false;
    }
    this.renderState();
    this.onScroll(); // still at the top: read on
  }

  async loadNewer() {
    if (this.busy || this.atNewest || !this.rows.length) return;
    const generation = this.generation;
    this.busy = true;
    this.buffer = [];
    this.bufferValid = true;
    try {
      const last = this.lastSequence();
      const page = await api(this.stepsPath({ after_sequence: last, oldest_first: true }));
      if (generation !== this.generation) return;
      this.insert((page.steps ?? []).filter((s) => num(s.sequence) > last), 'end');
      if (!page.has_more && this.bufferValid) this.attach();
      this.following = false;
      this.trim('start');
    } catch (error) {
      if (generation === this.generation) this.view.showAction(`Could not read newer lines: ${describeError(error)}`, true);
    } finally {
      if (generation === this.generation) this.busy = false;
    }
    this.renderState();
  }

  /** Back at the live end: what the stream delivered meanwhile follows the last row. */
  attach() {
    const last = this.lastSequence();
    const rest = this.buffer.filter((e) => e.kind === KIND.GAP || num(e.sequence) > last);
    this.buffer = [];
    this.atNewest = true;
    this.newCount = 0;
    this.insert(rest, 'end');
  }

  async jumpToNewest() {
    if (this.atNewest) {
      this.scrollToBottom();
      this.renderState();
      return;
    }
    if (this.busy) return;
    const generation = this.generation;
    this.busy = true;
    try {
      this.buffer = [];
      this.bufferValid = true;
      const page = await api(this.stepsPath({}));
      if (generation !== this.generation) return;
      this.rows = [];
      this.list.replaceChildren();
      if (this.bufferValid) {
        this.insert(page.steps ?? [], 'end');
        this.hasOlder = !!page.has_more;
        this.attach();
      } else {
        // More arrived during the read than a window holds: the newest window, kept by the
        // buffer, is shown alone (the page read is older than all of it); older lines are read
        // on scrolling up. Reading again could lose the race forever under a flood.
        const newest = this.buffer;
        this.buffer = [];
        this.atNewest = true;
        this.newCount = 0;
        this.insert(newest, 'end');
        this.hasOlder = true;
      }
      this.trim('start');
    } catch (error) {
      if (generation === this.generation) this.view.showAction(`Could not read the newest lines: ${describeError(error)}`, true);
    } finally {
      if (generation === this.generation) this.busy = false;
    }
    this.renderState();
    this.scrollToBottom();
  }

  scrollToBottom() {
    this.viewport.scrollTop = this.viewport.scrollHeight;
    this.following = true;
  }

  renderState() {
    const empty = !this.rows.length && this.atNewest;
    this.emptyNode.hidden = !empty || this.busy;
    setText(this.emptyNode, this.serverFilters() ? 'No line matches these filters yet.' : 'No log lines yet.');
    if (!this.busy) {
      setText(this.topNode, this.edgeError || (this.rows.length ? (this.hasOlder ? 'Scroll up for older lines' : 'Beginning of the log') : ''));
    }
    this.topNode.classList.toggle('is-error', !!this.edgeError);
    this.topNode.classList.toggle('has-older', this.hasOlder);
    const showJump = !this.atNewest || !this.following;
    setHidden(this.jumpButton, !showJump || !this.rows.length, this.viewport);
    const newer = `${formatCount(this.newCount)} newer line${this.newCount === 1 ? '' : 's'}`;
    setText(this.jumpButton, !this.atNewest && this.newCount ? `${newer} · Jump to newest` : 'Jump to newest');
    this.node.dataset.atNewest = String(this.atNewest);
    this.node.dataset.following = String(this.following);
    this.renderCount();
  }

  renderCount() {
    const rows = this.rows.filter((r) => !r.gap).length;
    const total = (this.view.wf?.jobs ?? []).reduce((sum, j) => sum + num(j.step_count), 0);
    const text = this.serverFilters()
      ? `${formatCount(rows)} matching line${rows === 1 ? '' : 's'} shown`
      : rows >= total ? `${formatCount(rows)} line${rows === 1 ? '' : 's'}` : `${formatCount(rows)} of ${formatCount(total)} lines shown`;
    setText(this.countNode, text);
  }
}

// ---------------------------------------------------------------------------------------------
// Router

// Asset view: `#/assets/<id>`, what a step's entity route `/assets/<id>` names.

class AssetView {
  kind = 'asset';

  constructor(root, route) {
    this.id = route.id;
    document.title = `Asset ${this.id} · WorkflowEngine`;
    this.titleNode = h('h1', { class: 'wf-title', testid: 'asset-title', tabindex: '-1' }, `Asset ${this.id}`);
    this.body = h('div', { class: 'asset-body', testid: 'asset-body' }, h('span', { class: 'muted' }, 'Loading…'));
    this.node = h('div', { class: 'view view-asset', testid: 'asset-view' },
      h('div', { class: 'crumbs' }, h('a', { href: '#/', testid: 'back-to-list' }, '← Workflows')),
      h('div', { class: 'wf-header' }, h('div', { class: 'wf-heading' }, this.titleNode)),
      h('section', { class: 'panel' }, this.body));
    root.append(this.node);
    this.load();
  }

  destroy() {
    this.destroyed = true;
  }

  update(route) {
    return route.view === 'asset' && route.id === this.id;
  }

  async load() {
    let asset;
    try {
      asset = await api(`/assets/${encodeURIComponent(this.id)}`);
    } catch (error) {
      if (this.destroyed) return;
      this.body.replaceChildren(h('div', { class: 'callout callout-error', testid: 'asset-error' }, describeError(error)));
      return;
    }
    if (this.destroyed) return;
    setText(this.titleNode, `${asset.tag} · ${asset.type}`);
    document.title = `${asset.tag} · WorkflowEngine`;
    const facts = [
      ['Name', asset.name || '—', 'asset-name'],
      ['ID', asset.id, 'asset-id'],
      ['Created', fullDateTime(num(asset.created_at_ms)) || '—', 'asset-created'],
      ['Changed', fullDateTime(num(asset.updated_at_ms)) || '—', 'asset-updated'],
    ];
    const changedBy = asset.updated_by_workflow_id
      ? h('a', { href: `#/workflows/${encodeURIComponent(asset.updated_by_workflow_id)}`, testid: 'asset-workflow' }, asset.updated_by_workflow_id)
      : '—';
    const pairs = (map, testid, empty) => {
      const entries = Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b));
      return h('div', { class: 'kv-list', testid }, entries.length
        ? entries.map(([k, v]) => h('span', { class: 'kv' }, h('span', { class: 'kv-key' }, k), h('span', { class: 'kv-value' }, v)))
        : h('span', { class: 'muted' }, empty));
    };
    this.body.replaceChildren(
      h('dl', { class: 'meta', testid: 'asset-meta' },
        facts.map(([name, value, testid]) => h('div', { class: 'meta-item' }, h('dt', {}, name), h('dd', { testid }, value))),
        h('div', { class: 'meta-item' }, h('dt', {}, 'Changed by'), h('dd', {}, changedBy))),
      h('div', { class: 'kv-block' }, h('h3', {}, 'Attributes'), pairs(asset.attributes, 'asset-attributes', 'None')),
      h('div', { class: 'kv-block' }, h('h3', {}, 'Links'),
        h('div', { class: 'kv-list', testid: 'asset-links' }, (asset.links ?? []).length
          ? asset.links.map((tag) => h('span', { class: 'kv' }, h('span', { class: 'kv-value' }, tag)))
          : h('span', { class: 'muted' }, 'None'))),
      h('div', { class: 'kv-block' }, h('h3', {}, 'Rule flags'), pairs(asset.flags, 'asset-flags', 'None')));
  }
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const mark = raw.indexOf('?');
  const path = mark < 0 ? raw : raw.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? '' : raw.slice(mark + 1));
  const asset = path.match(/^\/assets\/([^/?]+)\/?$/);
  if (asset) {
    let id = asset[1];
    try {
      id = decodeURIComponent(id);
    } catch { /* keep it raw */ }
    return { view: 'asset', id, params };
  }
  const match = path.match(/^\/workflows\/([^/?]+)\/?$/);
  if (match) {
    let id = match[1];
    try {
      id = decodeURIComponent(id);
    } catch { /* keep it raw */ }
    return { view: 'workflow', id, params };
  }
  return { view: 'list', params };
}

let current = null;

/** Builds the current page again from scratch. */
function reloadView() {
  current?.destroy();
  current = null;
  route();
}

/** Shows the page the hash names; `navigated`: after the user went there (focus moves to it). */
function route(navigated = false) {
  // Signed out: the login view shows; the hash is kept for after the sign-in.
  if (session.state !== 'app') return;
  const next = parseHash();
  if (current && current.kind === next.view && current.update(next)) return;
  current?.destroy();
  errorBar.hide();
  const main = document.getElementById('main');
  main.replaceChildren();
  current = next.view === 'workflow' ? new WorkflowView(main, next)
    : next.view === 'asset' ? new AssetView(main, next)
    : new ListView(main, next);
  window.scrollTo(0, 0);
  // A new page: screen readers start at its heading (not on the first page: nothing to move from).
  if (navigated) main.querySelector('h1')?.focus({ preventScroll: true });
}

function start() {
  connection.node = document.querySelector('[data-testid="connection-state"]');
  errorBar.node = document.getElementById('api-error');
  errorBar.node.querySelector('.api-error-close').addEventListener('click', () => errorBar.hide());
  notices.container = document.getElementById('notices');
  globalFeed.listeners.add(notices);
  // The indicator keeps the page's "Connecting…" while the session is asked for.
  ticker.start();
  window.addEventListener('hashchange', () => route(true));
  // The app (the global feed, the page the hash names) once the session says who is there.
  session.start();
}

start();
