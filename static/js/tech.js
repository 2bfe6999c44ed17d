/* The technicians' web app (/tech/, tracking/templates/tracking/tech/home.html): a client of
   the technicians' API, as any tracker app is. It pairs once with a code from admin (typed,
   or from `?code=` when the phone's camera opened the QR image's link), keeps the device
   token in localStorage and sends it as a Bearer token. It lists today's visits and moves
   them along; while one is Traveling it watches the phone's location and sends it in
   batches to `POST locations`. Points wait in localStorage while the phone is offline or the
   portal says "later" (5xx, 429 with Retry-After) and go again with the same ids, which the
   portal stores once. A module script from our static files: the Content-Security-Policy
   allows no inline code. */

const app = document.getElementById("tech-app");
const API = app.dataset.api;
const KEY = {
  token: "tech.token",
  device: "tech.device",
  visits: "tech.visits",
  queue: "tech.queue",
  stopped: "tech.sharingStopped",
};
const LABELS = {
  scheduled: "Scheduled",
  traveling: "Traveling",
  in_progress: "In Progress",
  completed: "Completed",
  canceled: "Canceled",
};
// The buttons each status offers: [the status it moves to, the button's words].
const NEXT = {
  scheduled: [["traveling", "Start travel"]],
  traveling: [["in_progress", "Arrived"], ["scheduled", "Turned back"]],
  in_progress: [["completed", "Completed"]],
};
const POINTS_PER_BATCH = 200; // the API's limit
const QUEUE_LIMIT = 5000; // about 7 hours at one point each 5 s; beyond it the oldest go
const POINT_EVERY = 5_000; // ms: at most one point this often, however often the phone reports
const SEND_EVERY = 10_000; // ms between batches while sharing
const REFRESH_EVERY = 120_000; // ms: the day's list again, for a dispatcher's changes
const LONGEST_WAIT = 300_000; // ms: the longest pause between tries after failures

const $ = (id) => document.getElementById(id);

// --- Storage: localStorage, or this page's memory when the browser refuses it --------------

const memory = new Map();

function load(key) {
  if (memory.has(key)) return memory.get(key);
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? null : JSON.parse(raw);
  } catch {
    return null;
  }
}

function keep(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
    memory.delete(key);
  } catch {
    memory.set(key, value); // full, or private browsing: kept until the page closes
  }
}

const queued = () => load(KEY.queue) ?? [];

function enqueue(points) {
  keep(KEY.queue, [...queued(), ...points].slice(-QUEUE_LIMIT));
}

function dequeue(points) {
  // Read again: points recorded while the batch was on its way stay queued.
  const sent = new Set(points.map((point) => point.id));
  keep(KEY.queue, queued().filter((point) => !sent.has(point.id)));
}

// --- The API -----------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body, retryAfter = null) {
    super(body?.detail || `error ${status}`);
    this.status = status; // 0: no answer (offline, or the portal unreachable)
    this.body = body || {};
    this.retryAfter = retryAfter; // ms, from Retry-After
  }
}

async function api(method, path, body, { auth = true } = {}) {
  const headers = { Accept: "application/json" };
  if (auth) headers.Authorization = `Bearer ${load(KEY.token)}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", // the token is the credential; no cookies, so no CSRF
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, { detail: "No connection to the portal." });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data, retryAfter(response));
  return data;
}

function retryAfter(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value); // the HTTP-date form
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function problem(error) {
  if (error.status === 0) return "no connection to the portal. Try again when you have signal.";
  if (error.status >= 500) return `the portal had a problem (error ${error.status}). Try again.`;
  return error.message;
}

// --- Words on the page ---------------------------------------------------------------------

const clock = new Intl.DateTimeFormat(undefined, {
  hour: "numeric",
  minute: "2-digit",
  timeZoneName: "short",
});
const clockWithSeconds = new Intl.DateTimeFormat(undefined, {
  hour: "numeric",
  minute: "2-digit",
  second: "2-digit",
  timeZoneName: "short",
});

function timeRange(start, end) {
  const [from, to] = [new Date(start), new Date(end)];
  return clock.formatRange ? clock.formatRange(from, to) : `${clock.format(from)} – ${clock.format(to)}`;
}

function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function announce(text) {
  $("tech-announce").textContent = text;
}

function showError(box, text, { focus = false } = {}) {
  box.textContent = text;
  box.setAttribute("role", "alert");
  box.hidden = false;
  if (focus) box.focus();
}

function hideError(box) {
  box.hidden = true;
  box.removeAttribute("role");
  box.textContent = "";
}

function setText(element, text) {
  // Only when it changed, so that a live region says it once.
  if (element.textContent !== text) element.textContent = text;
}

function show(view) {
  $("tech-loading").hidden = true;
  $("pair-section").hidden = view !== "pair";
  $("day-section").hidden = view !== "day";
  $("pair-back").hidden = !load(KEY.token); // a failed pairing again leaves the old one
}

// --- Pairing -------------------------------------------------------------------------------

const pairForm = $("pair-form");
const codeInput = $("pair-code");

async function pair(code, deviceName) {
  const error = $("pair-error");
  const button = pairForm.querySelector("button[type=submit]");
  hideError(error);
  codeInput.removeAttribute("aria-invalid");
  button.disabled = true;
  button.textContent = "Pairing…";
  try {
    const answer = await api("POST", "pair", { code, device_name: deviceName }, { auth: false });
    // Points left from an earlier pairing are sent as this technician's only if they are.
    if (load(KEY.device)?.technician !== answer.technician) keep(KEY.queue, null);
    keep(KEY.token, answer.token);
    keep(KEY.device, { name: answer.device_name, technician: answer.technician });
    keep(KEY.stopped, null);
    pairForm.reset();
    announce(`This phone is paired: ${answer.technician}, ${answer.device_name}.`);
    await openDay({ focus: true });
  } catch (failure) {
    const text =
      failure.status === 422
        ? "Type the code as your dispatcher shows it, like ABCDE-FGHJK."
        : `Not paired: ${problem(failure)}`;
    if (failure.status !== 0 && failure.status < 500) codeInput.setAttribute("aria-invalid", "true");
    showError(error, text, { focus: true });
  } finally {
    button.disabled = false;
    button.textContent = "Pair this phone";
  }
}

pairForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const code = codeInput.value.trim();
  if (!code) {
    codeInput.setAttribute("aria-invalid", "true");
    showError($("pair-error"), "Type the pairing code first.", { focus: true });
    return;
  }
  pair(code, $("pair-name").value.trim());
});

$("pair-back").addEventListener("click", () => {
  hideError($("pair-error"));
  openDay({ focus: true });
});

function unpaired(text) {
  // The token was revoked or replaced (401). Queued points stay for a pairing again.
  stopWatching();
  keep(KEY.token, null);
  show("pair");
  showError($("pair-error"), text, { focus: true });
}

$("unpair").addEventListener("click", () => {
  const waiting = queued().length;
  const question =
    "Unpair this phone? It stops sharing your location, and pairing again needs a new code " +
    "from your dispatcher." +
    (waiting ? ` ${waiting} location point(s) not yet sent are dropped.` : "");
  if (!window.confirm(question)) return;
  stopWatching();
  for (const key of Object.values(KEY)) keep(key, null);
  visits = [];
  show("pair");
  announce("This phone is unpaired.");
  codeInput.focus();
});

// --- The day's visits ----------------------------------------------------------------------

let visits = [];

async function openDay({ focus = false } = {}) {
  const device = load(KEY.device) || {};
  $("paired-as").textContent = `Paired as ${device.technician ?? "a technician"} (${device.name ?? "this phone"}).`;
  show("day");
  if (focus) $("visits-title").focus();
  await loadVisits();
  send(); // what waited from before
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });

async function loadVisits() {
  const error = $("visits-error");
  const day = today();
  $("day-label").textContent = dayFormat.format(new Date()); // a page open past midnight too
  try {
    visits = await api("GET", `appointments?date=${day}`);
    keep(KEY.visits, { day, visits });
    hideError(error);
  } catch (failure) {
    if (failure.status === 401) return unpaired(notPaired);
    // Offline: the list as last loaded today, so that sharing goes on after a reload.
    const saved = load(KEY.visits);
    if (saved?.day === day && !visits.length) visits = saved.visits;
    showError(error, `The list could not be loaded: ${problem(failure)}`);
  }
  renderVisits();
  syncSharing();
}

const notPaired =
  "This phone is no longer paired (its pairing was revoked or replaced). Pair it again " +
  "with a new code from your dispatcher.";

function renderVisits() {
  const list = $("visits");
  list.replaceChildren(...visits.map(visitCard));
  $("visits-empty").hidden = visits.length > 0;
}

function visitCard(visit) {
  const card = $("visit-template").content.firstElementChild.cloneNode(true);
  card.dataset.id = visit.id;
  card.dataset.status = visit.status;
  const title = card.querySelector(".visit-title");
  title.id = `visit-${visit.id}`;
  title.textContent = `${timeRange(visit.start, visit.end)} · ${visit.service_type}`;
  const status = card.querySelector(".visit-status strong");
  status.textContent = LABELS[visit.status] ?? visit.status;
  status.className = `status status-${visit.status}`;
  card.querySelector(".visit-where").textContent = visit.address || "No address given.";
  const who = card.querySelector(".visit-who");
  who.textContent = `Customer: ${visit.customer_first_name}`;
  who.hidden = !visit.customer_first_name;
  const comments = card.querySelector(".visit-comments");
  comments.textContent = `Notes: ${visit.comments}`;
  comments.hidden = !visit.comments;
  card.querySelector(".visit-error").tabIndex = -1;
  const actions = card.querySelector(".visit-actions");
  for (const [index, [to, words]] of (NEXT[visit.status] ?? []).entries()) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = words;
    button.dataset.to = to;
    if (index === 0) button.className = "primary";
    // Its name stays "Start travel"; which visit is said by the description.
    button.setAttribute("aria-describedby", title.id);
    button.addEventListener("click", () => move(visit, to, card));
    actions.append(button);
  }
  return card;
}

const cardOf = (id) => $("visits").querySelector(`[data-id="${id}"]`);

async function move(visit, to, card) {
  const buttons = card.querySelectorAll(".visit-actions button");
  for (const button of buttons) button.disabled = true;
  hideError(card.querySelector(".visit-error"));
  let changed;
  try {
    changed = await api("POST", `appointments/${visit.id}/status`, { status: to });
  } catch (failure) {
    if (failure.status === 401) return unpaired(notPaired);
    for (const button of buttons) button.disabled = false;
    return moveFailed(visit, failure);
  }
  visits = visits.map((v) => (v.id === changed.id ? changed : v));
  keep(KEY.visits, { day: today(), visits });
  if (to === "traveling") keep(KEY.stopped, null); // a new trip shares again
  renderVisits();
  syncSharing();
  const sharingNow = to === "traveling" && sharing.watch !== null ? " Sharing your location." : "";
  announce(`${visit.service_type} at ${visit.address}: ${LABELS[changed.status]}.${sharingNow}`);
  cardOf(changed.id)?.querySelector(".visit-title").focus();
}

async function moveFailed(visit, failure) {
  let text;
  if (failure.status === 409 && failure.body.current) {
    const [now, asked] = [LABELS[failure.body.current], LABELS[failure.body.requested]];
    text = `Not changed: this visit is ${now} now, and cannot go from ${now} to ${asked}. The list shows it as it is now.`;
  } else if (failure.status === 404) {
    text = "Not changed: this visit is no longer yours. The list is refreshed.";
  } else if (failure.status === 0 || failure.status >= 500) {
    text = `The status may not have changed: ${problem(failure)}`;
  } else {
    text = `Not changed: ${failure.message}`;
  }
  if (failure.status === 409 || failure.status === 404) await loadVisits();
  const card = cardOf(visit.id);
  showError(card ? card.querySelector(".visit-error") : $("visits-error"), text, { focus: true });
}

$("refresh").addEventListener("click", async () => {
  await loadVisits();
  announce("The list is up to date.");
});

setInterval(() => {
  if (document.visibilityState === "visible" && !$("day-section").hidden) loadVisits();
}, REFRESH_EVERY);

// --- Sharing the location while Traveling --------------------------------------------------

const sharing = {
  watch: null, // the watchPosition id while watching
  problem: "", // why it cannot share (blocked, not secure, not supported)
  fix: "", // waiting for a first fix
  latest: null, // the newest fix
  pointTimer: null,
  lastPointAt: 0,
  lastAttempt: 0,
  lastSent: null,
  refused: "",
  sending: false,
  failures: 0,
  retryAt: 0,
  offline: false,
  retryTimer: null,
  batchTimer: null,
  wakeLock: null,
  wake: "",
};

const traveling = () => visits.some((visit) => visit.status === "traveling");

function syncSharing() {
  if (!traveling()) sharing.problem = "";
  if (traveling() && !load(KEY.stopped)) startWatching();
  else stopWatching();
  renderSharing();
}

function startWatching() {
  // A problem (location blocked) holds until "Share my location" is pressed.
  if (sharing.watch !== null || sharing.problem) return;
  if (!window.isSecureContext) {
    sharing.problem =
      "Not shared: this page is not on a secure (https) address, so the browser gives it no location.";
    return;
  }
  if (!("geolocation" in navigator)) {
    sharing.problem = "Not shared: this browser cannot give its location. Use OwnTracks or Overland.";
    return;
  }
  sharing.problem = "";
  sharing.fix = "Waiting for the phone's location…";
  sharing.watch = navigator.geolocation.watchPosition(onPosition, onPositionError, {
    enableHighAccuracy: true,
    maximumAge: 0,
    timeout: 60_000,
  });
  sharing.batchTimer = setInterval(send, SEND_EVERY);
  holdScreen();
}

function stopWatching() {
  if (sharing.watch === null) return;
  navigator.geolocation.clearWatch(sharing.watch);
  sharing.watch = null;
  sharing.fix = "";
  sharing.latest = null;
  clearTimeout(sharing.pointTimer);
  sharing.pointTimer = null;
  clearInterval(sharing.batchTimer);
  releaseScreen();
  send(); // what was recorded on the way still goes
}

function onPosition(position) {
  sharing.fix = "";
  sharing.latest = position;
  // At most one point each POINT_EVERY: a fix that comes sooner waits, and the newest one
  // by then is kept (a phone standing still may report nothing more).
  const wait = sharing.lastPointAt + POINT_EVERY - position.timestamp;
  if (wait <= 0) record();
  else if (!sharing.pointTimer) sharing.pointTimer = setTimeout(record, wait);
  renderSharing();
}

function record() {
  clearTimeout(sharing.pointTimer);
  sharing.pointTimer = null;
  const position = sharing.latest;
  if (sharing.watch === null || !position || position.timestamp <= sharing.lastPointAt) return;
  sharing.lastPointAt = position.timestamp;
  const c = position.coords;
  const point = {
    id: crypto.randomUUID(), // sent again with the same id, stored once
    latitude: c.latitude,
    longitude: c.longitude,
    accuracy: c.accuracy,
    recorded_at: new Date(position.timestamp).toISOString(),
  };
  // null when unknown, NaN for a heading while standing still: left out.
  if (Number.isFinite(c.speed)) point.speed = c.speed;
  if (Number.isFinite(c.heading)) point.heading = c.heading;
  if (Number.isFinite(c.altitude)) point.altitude = c.altitude;
  enqueue([point]);
  // The first point of a trip goes at once, so the customer's map shows it soon.
  if (Date.now() - sharing.lastAttempt >= SEND_EVERY) send();
  renderSharing();
}

function onPositionError(error) {
  if (error.code === error.PERMISSION_DENIED) {
    stopWatching();
    sharing.problem =
      "Not shared: location is blocked for this page. Allow it in the browser's site settings, then press Share my location.";
  } else {
    sharing.fix = "No location fix yet; still trying.";
  }
  renderSharing();
}

async function send() {
  if (sharing.sending || !load(KEY.token)) return;
  const waiting = queued();
  if (!waiting.length) return;
  const wait = sharing.retryAt - Date.now();
  if (wait > 0) return later(wait);
  if (navigator.onLine === false) {
    sharing.offline = true; // the "online" event sends
    return renderSharing();
  }
  const batch = waiting.slice(0, POINTS_PER_BATCH);
  sharing.sending = true;
  sharing.lastAttempt = Date.now();
  let more = false;
  try {
    const answer = await api("POST", "locations", { pings: batch });
    dequeue(batch);
    Object.assign(sharing, { failures: 0, retryAt: 0, offline: false, lastSent: new Date() });
    sharing.refused = answer.rejected ? refusedText(answer) : "";
    more = queued().length > 0;
  } catch (failure) {
    if (failure.status === 401) {
      sharing.sending = false;
      return unpaired(notPaired);
    }
    if (failure.status === 0 || failure.status === 429 || failure.status >= 500) {
      // Kept, and sent again with the same ids when the portal says, or after a pause
      // that doubles with each failure.
      sharing.failures += 1;
      const pause = failure.retryAfter ?? Math.min(LONGEST_WAIT, 5_000 * 2 ** (sharing.failures - 1));
      sharing.retryAt = Date.now() + pause;
      sharing.offline = failure.status === 0;
      later(pause);
    } else {
      // 400, 413, 415, 422: the same batch would be refused again; the next ones go on.
      dequeue(batch);
      sharing.refused = `${batch.length} point(s) refused: ${failure.message}`;
      more = true;
    }
  } finally {
    sharing.sending = false;
    renderSharing();
  }
  if (more) send();
}

function later(pause) {
  clearTimeout(sharing.retryTimer);
  sharing.retryTimer = setTimeout(send, pause);
}

function refusedText(answer) {
  const reasons = [...new Set(answer.rejections.map((r) => r.reason))].join("; ");
  return `${answer.rejected} point(s) not kept: ${reasons}.`;
}

window.addEventListener("online", () => {
  sharing.retryAt = 0;
  send();
});

// Browsers let a page keep the screen on only while it is visible: the lock goes whenever
// the page is hidden, and is taken again when it comes back.
async function holdScreen() {
  if (!("wakeLock" in navigator)) {
    sharing.wake =
      "This browser cannot keep the screen on: keep the phone awake, or use OwnTracks or Overland.";
    return renderSharing();
  }
  if (sharing.wakeLock || document.visibilityState !== "visible") return;
  try {
    const lock = await navigator.wakeLock.request("screen");
    if (sharing.watch === null) return lock.release();
    sharing.wakeLock = lock;
    sharing.wake = "The screen stays on while you travel.";
    lock.addEventListener("release", () => {
      if (sharing.wakeLock !== lock) return;
      sharing.wakeLock = null;
      sharing.wake = "The screen may turn off, which stops sharing; come back to this page.";
      renderSharing();
    });
  } catch {
    sharing.wake =
      "The screen may turn off, which stops sharing: keep the phone awake, or use OwnTracks or Overland.";
  }
  renderSharing();
}

function releaseScreen() {
  const lock = sharing.wakeLock;
  sharing.wakeLock = null;
  sharing.wake = "";
  lock?.release().catch(() => {});
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible") return;
  if (sharing.watch !== null) holdScreen();
  if (!$("day-section").hidden) loadVisits();
  send();
});

function renderSharing() {
  const on = sharing.watch !== null;
  const box = $("sharing");
  let state;
  if (sharing.problem) state = sharing.problem;
  else if (on) state = "Sharing your location";
  else if (traveling()) state = "Not sharing your location: you stopped it.";
  else state = "Not shared: you are not traveling to a visit.";
  box.dataset.state = sharing.problem ? "problem" : on ? "on" : "off";
  setText($("sharing-state"), state);

  const waiting = queued().length;
  const details = [];
  if (on && sharing.fix) details.push(sharing.fix);
  if (sharing.lastSent) details.push(`Last sent at ${clockWithSeconds.format(sharing.lastSent)}.`);
  if (waiting && sharing.offline) {
    details.push(`${waiting} point(s) waiting: no connection. They go when the phone is back online.`);
  } else if (waiting && sharing.retryAt > Date.now()) {
    details.push(`${waiting} point(s) waiting; trying again at ${clockWithSeconds.format(sharing.retryAt)}.`);
  } else if (waiting) {
    details.push(`${waiting} point(s) waiting to be sent.`);
  }
  if (sharing.refused) details.push(sharing.refused);
  const detail = $("sharing-detail");
  detail.textContent = details.join(" ");
  detail.hidden = details.length === 0;
  const wake = $("wake-lock");
  wake.textContent = sharing.wake;
  wake.hidden = !on || !sharing.wake;

  $("stop-sharing").hidden = !on;
  $("start-sharing").hidden = on || !traveling();
}

$("stop-sharing").addEventListener("click", () => {
  keep(KEY.stopped, true);
  syncSharing();
  announce("You stopped sharing your location.");
  $("start-sharing").focus();
});

$("start-sharing").addEventListener("click", () => {
  keep(KEY.stopped, null);
  sharing.problem = "";
  syncSharing();
  if (sharing.watch !== null) $("stop-sharing").focus();
});

// --- Start ---------------------------------------------------------------------------------

function start() {
  const url = new URL(window.location.href);
  const code = url.searchParams.get("code");
  if (code !== null) {
    // Not left in the history or for a reload: the code works once.
    url.searchParams.delete("code");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  if (code) {
    show("pair");
    codeInput.value = code;
    pair(code, "");
  } else if (load(KEY.token)) {
    openDay();
  } else {
    show("pair");
  }
}

start();
