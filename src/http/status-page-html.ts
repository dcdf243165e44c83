// The status page as one small document: HTML, an inline style and an inline script (their hashes go into
// the Content-Security-Policy). No framework and no build step: a gateway serves it from memory, a browser
// renders it from one response, and the live part is one EventSource.
//
// Sized for a 7-inch 800x480 panel first: a fixed-layout table whose columns never move as texts change
// (long texts are cut with their whole text in a tooltip), and below 640 px one card per service with its
// buttons on their own line. While the feed is down the last state stays, greyed, with every button off.

export const PAGE_STYLE = `
:root{font:14px/1.35 system-ui,sans-serif;color:#1d2330;background:#f4f5f7}
body{margin:0 auto;max-width:72rem;padding:.6rem}
header{display:flex;flex-wrap:wrap;gap:.3rem 1rem;align-items:baseline}
h1{font-size:1.15rem;margin:0}
.facts{display:flex;flex-wrap:wrap;gap:.2rem 1rem;color:#555}
.facts b{color:#1d2330;font-weight:600;font-variant-numeric:tabular-nums}
#live{margin-left:auto;font-size:.85rem}
#live.on::before{content:"\\25CF ";color:#1a7f37}
#live.off::before{content:"\\25CF ";color:#b42318}
h2{font-size:1rem;margin:.9rem 0 .3rem}
table{width:100%;table-layout:fixed;border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
th,td{padding:.35rem .4rem;text-align:left;border-bottom:1px solid #e3e5e8;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:top}
th{font-size:.75rem;text-transform:uppercase;letter-spacing:.03em;color:#666}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td small{display:block;color:#777;font-size:.78rem;overflow:hidden;text-overflow:ellipsis}
th{white-space:normal}
col.c-name{width:17%}col.c-status{width:12%}col.c-health{width:9%}col.c-restarts{width:7%}col.c-exit{width:17%}col.c-why{width:auto}col.c-act{width:12.6rem}
.tag{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:.78rem;font-weight:600;background:#e3e5e8}
.RUNNING,.UP{background:#d5f5df;color:#11632a}.STARTING,.BACKOFF,.UNKNOWN{background:#fdf0c4;color:#7a5200}
.STOPPED,.HALT,.OFF{background:#e3e5e8;color:#444}.FAILED,.DOWN{background:#fbd9d6;color:#8c1d13}
.COMPLETE{background:#d5f5df;color:#11632a}.NONE{background:#fbd9d6;color:#8c1d13}
.why,td.act{white-space:normal}td.act{overflow:visible}
button,select,input{font:inherit;font-size:.85rem}
button{min-height:2rem;padding:.1rem .5rem;margin:0 .2rem .2rem 0;border:1px solid #b8bcc4;border-radius:.3rem;background:#fff;cursor:pointer}
button:hover{background:#eef0f3}button:disabled{opacity:.45;cursor:default}
button.confirm{background:#b42318;border-color:#b42318;color:#fff}
#note{min-height:1.3em;margin:.4rem 0 0;color:#555}#note.err{color:#b42318}#note.held{color:#7a5200;font-weight:600}
.empty{color:#777;text-align:center;padding:1rem}
#alerts{margin:.4rem 0 0;padding:.4rem .6rem;background:#fbd9d6;color:#8c1d13;border-radius:.3rem}
#output{max-height:20rem;overflow:auto;background:#fff;padding:.5rem;font-size:.8rem;white-space:pre-wrap}
svg.spark{width:12rem;height:1.6rem;vertical-align:middle}svg.spark polyline{fill:none;stroke:#3b6fd4;stroke-width:1.5}
.stale #services,.stale #devices,.stale .facts{opacity:.5;filter:grayscale(1)}
.stale #live{color:#b42318;font-weight:600}
.bar{display:flex;flex-wrap:wrap;gap:.3rem .5rem;align-items:center}
.bar input{width:11rem;max-width:100%;padding:.25rem}
col.d-id{width:34%}col.d-level{width:16%}col.d-beat{width:30%}col.d-plugin{width:auto}
@media (max-width:640px){
  #svc thead{display:none}
  #svc,#svc tbody,#svc tr,#svc td{display:block;width:auto}
  #svc tr{padding:.4rem .5rem;border-bottom:1px solid #d5d8dd}
  #svc td{border:0;padding:.1rem 0;white-space:normal}
  #svc td:empty{display:none}
  #svc td[data-label]::before{content:attr(data-label) ": ";color:#777;font-size:.8rem}
  #svc td.n{text-align:left}
  #svc td.act button{min-width:5.5rem;min-height:2.4rem}
  col.d-id{width:50%}col.d-level{width:30%}col.d-beat{width:0}#dev td:nth-child(3),#dev th:nth-child(3){display:none}
}
`;

export const PAGE_SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const rows = new Map();
const ACTIONS = ["start", "stop", "restart"];
const ENDED = new Set(["DONE", "ROLLED_BACK", "FAILED"]);
const PAGE = 50;
let connected = false;
let lastSnap;
let snapAt = 0;
const pad = (n) => String(n).padStart(2, "0");
// One time format everywhere (the CLI's tables, the pretty log): the local YYYY-MM-DD HH:MM:SS.
function time(t) {
  if (t === undefined || t === null) return "";
  const d = new Date(t);
  if (isNaN(d)) return "";
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
}
const tag = (text, cls) => { const s = document.createElement("span"); s.className = "tag " + (cls ?? text); s.textContent = text; return s; };
function cell(tr, i, content, title) {
  const td = tr.children[i];
  if (typeof content === "string" || typeof content === "number") { if (td.textContent !== String(content)) td.textContent = String(content); }
  else td.replaceChildren(content);
  td.title = title ?? (typeof content === "string" ? content : "");
}
function twoLines(first, second) {
  const f = document.createDocumentFragment();
  f.append(first);
  if (second) { const s = document.createElement("small"); s.textContent = second; f.append(s); }
  return f;
}
function lastExit(s) {
  const at = s.lastExitAt ?? s.lastExit?.at;
  const code = s.exitCode ?? s.lastExit?.code;
  const signal = s.exitSignal ?? s.lastExit?.signal;
  if (at === undefined && code === undefined && signal === undefined) return ["-", ""];
  return [signal ?? (code !== undefined && code !== null ? "status " + code : "exit"), time(at)];
}
// Why the service is where it is, in words: the health check's own detail, the restart budget spent, an
// operator's stop, a back-off's next try.
function why(s, h) {
  const next = s.nextAttemptAt ?? s.backoff?.nextAttemptAt;
  const detail = h?.detail;
  switch (s.status) {
    case "FAILED": return "gave up after " + s.restarts + " restart" + (s.restarts === 1 ? "" : "s") + (detail ? " (" + detail + ")" : "") + "; Start tries again";
    case "STOPPED": return "stopped; Start runs it" + (detail && s.health === "DOWN" ? " (last check: " + detail + ")" : "");
    case "BACKOFF": return "restart " + (s.restarts + 1) + " due " + time(next) + (detail ? "; " + detail : "");
    case "STARTING": return detail ? "starting; its check does not pass yet: " + detail : "starting; waiting for its first check";
    case "HALT": return "deregistered";
  }
  if (s.health === "DOWN") return detail ? "check failed: " + detail : "check failed";
  if (s.health === "UNKNOWN") return "no check result yet";
  return h?.checkedAt ? "checked " + time(h.checkedAt) : "";
}
function row(name) {
  let tr = rows.get(name);
  if (tr) return tr;
  tr = document.createElement("tr");
  tr.dataset.service = name;
  const labels = ["", "status", "health", "restarts", "last exit", "why", ""];
  for (let i = 0; i < 7; i++) { const td = document.createElement("td"); if (labels[i]) td.dataset.label = labels[i]; tr.append(td); }
  tr.children[3].className = "n";
  tr.children[5].className = "why";
  tr.children[6].className = "act";
  for (const a of ACTIONS) {
    const b = document.createElement("button");
    b.textContent = a[0].toUpperCase() + a.slice(1);
    b.dataset.action = a;
    b.disabled = !connected;
    b.addEventListener("click", () => (a === "stop" ? confirmTap(b, "Stop", "Confirm stop", "stop " + name, () => operate(a, name, b)) : operate(a, name, b)));
    tr.children[6].append(b);
  }
  rows.set(name, tr);
  return tr;
}
// Stop and Cancel deployment take a second tap within 4 s (a touch panel has no hover, and a dialog is easy to wave away).
function confirmTap(b, label, confirm, what, run) {
  if (b.classList.contains("confirm")) { clearTimeout(b.timer); b.classList.remove("confirm"); b.textContent = label; return run(); }
  b.classList.add("confirm");
  b.textContent = confirm;
  note("tap " + confirm + " to " + what);
  b.timer = setTimeout(() => { b.classList.remove("confirm"); b.textContent = label; }, 4000);
}
// A deployment owns its service from acceptance to its end, but for a package resting at DELIVERED: the agent
// answers Start, Stop and Restart with CONFLICT meanwhile, so the page holds those buttons and says why.
const holds = (d) => d !== undefined && !ENDED.has(d.state) && d.state !== "DELIVERED";
function deployLine(d, at) {
  if (!d) return "";
  if (d.state === "DELIVERED") return "package " + d.version + " DELIVERED: waits for Install";
  if (!ENDED.has(d.state)) {
    const pct = d.state === "DOWNLOADING" && d.total ? " " + Math.floor(((d.bytes ?? 0) * 100) / d.total) + " %" : "";
    return "deploying " + d.version + ": " + d.state + pct + "; Start, Stop, Restart wait for it";
  }
  // How the last one ended, for ten minutes (by the gateway's clock, not the browser's).
  if (Date.parse(at) - Date.parse(d.updatedAt) > 600000) return "";
  return "deploy " + d.version + " " + d.state + (d.error ? ": " + d.error.message : "");
}
function showDeploy(tr, name, d) {
  const open = d && !ENDED.has(d.state) ? d : undefined;
  tr.deploy = open;
  if (open) tr.dataset.deploy = open.state; else delete tr.dataset.deploy;
  let b = tr.querySelector('button[data-action="cancel"]');
  if (open && !b) {
    b = document.createElement("button");
    b.textContent = "Cancel deployment";
    b.dataset.action = "cancel";
    b.addEventListener("click", () => confirmTap(b, "Cancel deployment", "Confirm cancel", "cancel the deployment of " + name, () => cancelDeploy(name, b)));
    tr.children[6].append(b);
  } else if (!open && b) b.remove();
  applyHold(tr);
}
function applyHold(tr) {
  const d = tr.deploy;
  for (const b of tr.querySelectorAll("button[data-action]")) {
    // A rollback is not cut short (the agent answers CONFLICT): its Cancel waits with the others.
    const held = b.dataset.action === "cancel" ? d?.state === "ROLLING_BACK" : holds(d);
    b.disabled = !connected || held;
    b.title = held ? "held by the deployment of " + d.version + " (" + d.state + ")" : "";
  }
}
function render(snap) {
  lastSnap = snap;
  snapAt = Date.now();
  const a = snap.agent;
  $("agent").textContent = a.agentId ?? "?";
  $("version").textContent = a.version ?? "?";
  $("registry").textContent = a.registry ?? "?";
  tickUptime();
  $("devices-n").textContent = snap.trust.devices;
  $("complete").textContent = snap.trust.trusted;
  $("none").textContent = snap.trust.devices - snap.trust.trusted;
  $("at").textContent = time(snap.at);
  const body = $("services");
  const health = snap.health ?? {};
  const seen = new Set();
  const deploys = new Map((snap.deployments ?? []).map((d) => [d.name, d]));
  for (const s of snap.services) {
    seen.add(s.name);
    const tr = row(s.name);
    tr.dataset.status = s.status;
    tr.dataset.health = s.health;
    const addr = s.host ? s.host + (s.port ? ":" + s.port : "") : "";
    cell(tr, 0, twoLines(s.name, [s.restartPolicy ?? s.policy, addr].filter(Boolean).join(" \\u00b7 ")), s.name + (addr ? " " + addr : ""));
    cell(tr, 1, tag(s.status), s.status);
    // A stopped service is not unhealthy: its health reads "off", in grey.
    cell(tr, 2, s.status === "STOPPED" || s.status === "HALT" ? tag("off", "OFF") : tag(s.health), s.health);
    cell(tr, 3, s.restarts);
    const [how, at] = lastExit(s);
    cell(tr, 4, twoLines(how, at), how + (at ? " at " + at : ""));
    const w = why(s, health[s.name]);
    const dl = deployLine(deploys.get(s.name), snap.at);
    cell(tr, 5, dl ? twoLines(dl, w) : w, dl ? dl + (w ? "; " + w : "") : w);
    showDeploy(tr, s.name, deploys.get(s.name));
    body.append(tr);
  }
  for (const [name, tr] of rows) if (!seen.has(name)) { tr.remove(); rows.delete(name); }
  $("empty").hidden = snap.services.length > 0;
}
function tickUptime() {
  const up = lastSnap?.agent?.uptimeS;
  if (up === undefined) return;
  // Counted on between updates while connected; frozen (and greyed) while not.
  $("uptime").textContent = fmtUptime(up + (connected ? Math.floor((Date.now() - snapAt) / 1000) : 0));
}
function fmtUptime(s) {
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? d + "d " + h + "h" : h ? h + "h " + m + "m" : m + "m " + (s % 60) + "s";
}
function note(text, cls) { const n = $("note"); n.textContent = text; n.className = cls ?? ""; }
function setConnected(on) {
  connected = on;
  document.body.classList.toggle("stale", !on);
  for (const b of document.querySelectorAll("#dev-bar button")) b.disabled = !on;
  for (const tr of rows.values()) applyHold(tr);
  if (on) updatePager();
}
async function call(op, body) {
  const res = await fetch("ops/" + op, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return res.json();
}
async function send(what, op, body, button, done) {
  button.disabled = true;
  note(what + " ...");
  try {
    const reply = await call(op, body);
    if (reply.ok) done(reply.result);
    else refused(what, reply.error.code, reply.error.message);
  } catch (e) {
    note(what + ": " + e.message, "err");
  } finally {
    const tr = button.closest("tr");
    if (tr) applyHold(tr);
  }
}
// CONFLICT (a deployment holds the service, or a rollback may not be cut) is no failure: its message says which and why.
function refused(what, code, message) {
  if (code === "CONFLICT") note(message, "held");
  else note(what + ": " + code + (message ? ": " + message : ""), "err");
}
const operate = (action, name, button) =>
  send(action + " " + name, "services." + action, { names: [name] }, button, ([item]) =>
    item.result === "OK" ? note(action + " " + name + ": OK, " + item.status) : refused(action + " " + name, item.result, item.error?.message));
const cancelDeploy = (name, button) =>
  send("cancel " + name, "services.cancel", { name }, button, (r) => note("cancel " + name + ": " + r.version + (ENDED.has(r.state) ? " " + r.state : " cancelled in " + r.state)));
// Devices: one page of PAGE at a time from the agent (trust.get with a cursor), however many it tracks.
const dev = { cursors: [-1], more: false, loading: false };
async function loadDevices() {
  if (dev.loading) return;
  dev.loading = true;
  const id = $("dev-id").value.trim();
  const level = $("dev-level").value;
  const body = id ? { ids: [id] } : { limit: PAGE + 1, after: dev.cursors[dev.cursors.length - 1] };
  if (level) body.level = level;
  try {
    const reply = await call("trust.get", body);
    if (!reply.ok) { note("devices: " + reply.error.code + ": " + reply.error.message, "err"); return; }
    const list = reply.result;
    dev.more = !id && list.length > PAGE;
    showDevices(list.slice(0, PAGE), id);
  } catch (e) {
    note("devices: " + e.message, "err");
  } finally {
    dev.loading = false;
    updatePager();
  }
}
function showDevices(list, id) {
  const body = $("devices");
  body.replaceChildren(...list.map((d) => {
    const tr = document.createElement("tr");
    tr.dataset.device = d.id;
    const cells = [d.id, tag(d.trustLevel), time(d.lastHeartbeatAt) || "-", d.plugin ?? "-"];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); if (typeof c === "string") td.title = c; tr.append(td); }
    tr.dataset.instance = d.instanceId;
    return tr;
  }));
  const first = (dev.cursors.length - 1) * PAGE;
  $("dev-page").textContent = id ? (list.length ? "1 device" : "no device " + id) : list.length ? "devices " + (first + 1) + "-" + (first + list.length) : "no devices";
  dev.last = list.length ? list[list.length - 1].instanceId : undefined;
}
function updatePager() {
  const id = $("dev-id").value.trim();
  $("dev-prev").disabled = !connected || id !== "" || dev.cursors.length <= 1;
  $("dev-next").disabled = !connected || id !== "" || !dev.more;
}
$("dev-next").addEventListener("click", () => { if (dev.last !== undefined) { dev.cursors.push(dev.last); loadDevices(); } });
$("dev-prev").addEventListener("click", () => { if (dev.cursors.length > 1) { dev.cursors.pop(); loadDevices(); } });
$("dev-go").addEventListener("click", () => { dev.cursors = [-1]; loadDevices(); });
$("dev-level").addEventListener("change", () => { dev.cursors = [-1]; loadDevices(); });
$("dev-id").addEventListener("keydown", (e) => { if (e.key === "Enter") { dev.cursors = [-1]; loadDevices(); } });
// The watch (issue 27): firing rules from the feed; each service's CPU and memory of the last hour, drawn as
// SVG polylines from services.history once a minute (no charting library).
function renderAlerts(alerts) {
  const box = $("alerts");
  box.hidden = alerts.length === 0;
  box.textContent = alerts.length ? "Firing: " + alerts.map((a) => a.rule + " on " + a.name + (a.since ? " since " + time(a.since) : "")).join(", ") : "";
}
function spark(points) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 20");
  svg.setAttribute("preserveAspectRatio", "none");
  if (points.length > 1) {
    const t0 = points[0][0], t1 = points[points.length - 1][0], top = Math.max(...points.map((p) => p[3])) || 1;
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points.map((p) => ((p[0] - t0) / (t1 - t0 || 1)) * 100 + "," + (20 - (p[2] / top) * 19)).join(" "));
    svg.append(line);
  }
  return svg;
}
async function drawHistory() {
  const since = Date.now() - 3600000;
  const body = $("history");
  for (const name of rows.keys()) {
    const get = (metric) => fetch("api/v3/services/" + encodeURIComponent(name) + "/history?metric=" + metric + "&stepMs=10000&sinceMs=" + since).then((r) => (r.ok ? r.json() : { points: [] }), () => ({ points: [] }));
    const [cpu, mem] = await Promise.all([get("cpuPercent"), get("memoryBytes")]);
    let tr = body.querySelector('tr[data-history="' + CSS.escape(name) + '"]');
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.history = name;
      for (let i = 0; i < 6; i++) tr.append(document.createElement("td"));
      tr.children[0].textContent = name;
      const b = document.createElement("button");
      b.textContent = "Output";
      b.addEventListener("click", () => showOutput(name));
      tr.children[5].append(b);
      body.append(tr);
    }
    const lastOf = (p) => (p.length ? p[p.length - 1][2] : undefined);
    cell(tr, 1, spark(cpu.points));
    cell(tr, 2, lastOf(cpu.points) === undefined ? "-" : lastOf(cpu.points).toFixed(1) + " %");
    cell(tr, 3, spark(mem.points));
    cell(tr, 4, lastOf(mem.points) === undefined ? "-" : (lastOf(mem.points) / 1048576).toFixed(1) + " MB");
    tr.children[2].className = tr.children[4].className = "n";
  }
  for (const tr of [...body.children]) if (!rows.has(tr.dataset.history)) tr.remove();
}
// A service's last output lines (services.logs), on demand.
async function showOutput(name) {
  const box = $("output");
  try {
    const r = await fetch("api/v3/services/" + encodeURIComponent(name) + "/logs?lines=100");
    const body = await r.json();
    box.textContent = r.ok ? body.lines.map((l) => time(l.at) + " " + l.stream + " " + l.text).join("\\n") || "(no output)" : body.code + ": " + body.message;
  } catch (e) {
    box.textContent = e.message;
  }
  $("output-of").textContent = name;
  $("output-box").hidden = false;
}
setInterval(drawHistory, 60000);
let drawn = false;
const live = $("live");
const feed = new EventSource("events");
let firstSnap = true;
feed.addEventListener("snapshot", (e) => {
  live.className = "on"; live.textContent = "live";
  setConnected(true);
  const snap = JSON.parse(e.data);
  render(snap);
  renderAlerts(snap.alerts ?? []);
  if (!drawn) { drawn = true; void drawHistory(); }
  if (firstSnap) { firstSnap = false; loadDevices(); }
});
feed.onerror = () => {
  live.className = "off";
  live.textContent = "disconnected since " + time(Date.now()) + ": last known state, greyed";
  if (connected) setConnected(false);
};
setInterval(tickUptime, 1000);
setConnected(false);
`;

export function pageHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>sma-bridge</title><link rel="icon" href="data:,"><style>${PAGE_STYLE}</style></head>
<body><header><h1>sma-bridge <span id="agent">…</span></h1>
<div class="facts"><span>version <b id="version">?</b></span><span>up <b id="uptime">?</b></span><span>registry <b id="registry">?</b></span>
<span>devices <b id="devices-n">0</b></span><span>COMPLETE <b id="complete">0</b></span><span>NONE <b id="none">0</b></span><span>as of <b id="at">-</b></span></div>
<span id="live" class="off">connecting</span></header>
<p id="note" role="status"></p>
<p id="alerts" role="alert" hidden></p>
<table id="svc"><colgroup><col class="c-name"><col class="c-status"><col class="c-health"><col class="c-restarts"><col class="c-exit"><col class="c-why"><col class="c-act"></colgroup>
<thead><tr><th>Service</th><th>Status</th><th>Health</th><th>Re&shy;starts</th><th>Last exit</th><th>Why</th><th></th></tr></thead>
<tbody id="services"></tbody></table><p id="empty" class="empty" hidden>No services registered.</p>
<h2>Last hour</h2>
<table id="watch"><thead><tr><th>Service</th><th>CPU</th><th></th><th>Memory</th><th></th><th></th></tr></thead><tbody id="history"></tbody></table>
<div id="output-box" hidden><h2>Output of <span id="output-of"></span></h2><pre id="output"></pre></div>
<h2>Devices</h2>
<div class="bar" id="dev-bar"><select id="dev-level" aria-label="trust level"><option value="">all levels</option><option>COMPLETE</option><option>NONE</option></select>
<input id="dev-id" placeholder="device id" aria-label="device id"><button id="dev-go">Find</button>
<button id="dev-prev">Previous</button><button id="dev-next">Next</button><span id="dev-page"></span></div>
<table id="dev"><colgroup><col class="d-id"><col class="d-level"><col class="d-beat"><col class="d-plugin"></colgroup>
<thead><tr><th>Device</th><th>Trust</th><th>Last heartbeat</th><th>Plugin</th></tr></thead><tbody id="devices"></tbody></table>
<script>${PAGE_SCRIPT}</script></body></html>
`;
}
