// The status page as one small document: HTML, an inline style and an inline script (their hashes go into
// the Content-Security-Policy). No framework and no build step: a gateway serves it from memory, a browser
// renders it from one response, and the live part is one EventSource.

export const PAGE_STYLE = `
:root{font:14px/1.4 system-ui,sans-serif;color:#1d2330;background:#f4f5f7}
body{margin:0 auto;max-width:72rem;padding:1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline}
h1{font-size:1.3rem;margin:0}
.facts{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;color:#555}
.facts b{color:#1d2330;font-weight:600}
#live{margin-left:auto;font-size:.85rem}
#live.on::before{content:"\\25CF ";color:#1a7f37}
#live.off::before{content:"\\25CF ";color:#b42318}
table{width:100%;border-collapse:collapse;margin-top:1rem;background:#fff;box-shadow:0 1px 2px #0002}
th,td{padding:.45rem .6rem;text-align:left;border-bottom:1px solid #e3e5e8;white-space:nowrap}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:#666}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.tag{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;font-weight:600;background:#e3e5e8}
.RUNNING,.UP{background:#d5f5df;color:#11632a}.STARTING,.BACKOFF,.UNKNOWN{background:#fdf0c4;color:#7a5200}
.STOPPED,.HALT{background:#e3e5e8;color:#444}.FAILED,.DOWN{background:#fbd9d6;color:#8c1d13}
button{font:inherit;font-size:.8rem;padding:.15rem .55rem;margin-right:.25rem;border:1px solid #b8bcc4;border-radius:.3rem;background:#fff;cursor:pointer}
button:hover{background:#eef0f3}button:disabled{opacity:.5;cursor:default}
#note{min-height:1.4em;margin:.6rem 0 0;color:#555}#note.err{color:#b42318}
.empty{color:#777;text-align:center;padding:1.5rem}
`;

export const PAGE_SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const rows = new Map();
const ACTIONS = ["start", "stop", "restart"];
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");
const tag = (text) => { const s = document.createElement("span"); s.className = "tag " + text; s.textContent = text; return s; };
function cell(tr, i, content, cls) {
  const td = tr.children[i];
  if (cls) td.className = cls;
  if (typeof content === "string" || typeof content === "number") { if (td.textContent !== String(content)) td.textContent = String(content); }
  else td.replaceChildren(content);
}
function lastExit(s) {
  const at = s.lastExitAt ?? s.lastExit?.at;
  const code = s.exitCode ?? s.lastExit?.code;
  const signal = s.exitSignal ?? s.lastExit?.signal;
  if (at === undefined && code === undefined && signal === undefined) return "-";
  return [signal ?? (code !== undefined && code !== null ? "code " + code : ""), time(at)].filter(Boolean).join(" at ");
}
function statusText(s) {
  const next = s.nextAttemptAt ?? s.backoff?.nextAttemptAt;
  const t = tag(s.status);
  if (!next) return t;
  const span = document.createElement("span");
  span.append(t, " next try " + time(next));
  return span;
}
function row(name) {
  let tr = rows.get(name);
  if (tr) return tr;
  tr = document.createElement("tr");
  tr.dataset.service = name;
  for (let i = 0; i < 8; i++) tr.append(document.createElement("td"));
  tr.children[0].textContent = name;
  for (const a of ACTIONS) {
    const b = document.createElement("button");
    b.textContent = a[0].toUpperCase() + a.slice(1);
    b.dataset.action = a;
    b.addEventListener("click", () => operate(a, name, b));
    tr.children[7].append(b);
  }
  rows.set(name, tr);
  return tr;
}
function render(snap) {
  const a = snap.agent;
  $("agent").textContent = a.agentId ?? "?";
  $("version").textContent = a.version ?? "?";
  $("registry").textContent = a.registry ?? "?";
  $("uptime").textContent = a.uptimeS === undefined ? "?" : fmtUptime(a.uptimeS);
  $("devices").textContent = snap.trust.devices;
  $("complete").textContent = snap.trust.trusted;
  $("none").textContent = snap.trust.devices - snap.trust.trusted;
  $("at").textContent = time(snap.at);
  const body = $("services");
  const seen = new Set();
  for (const s of snap.services) {
    seen.add(s.name);
    const tr = row(s.name);
    tr.dataset.status = s.status;
    tr.dataset.health = s.health;
    cell(tr, 1, statusText(s));
    cell(tr, 2, tag(s.health));
    cell(tr, 3, s.restarts, "n");
    cell(tr, 4, lastExit(s));
    cell(tr, 5, s.restartPolicy ?? s.policy ?? "-");
    cell(tr, 6, s.host ? s.host + (s.port ? ":" + s.port : "") : "-");
    body.append(tr);
  }
  for (const [name, tr] of rows) if (!seen.has(name)) { tr.remove(); rows.delete(name); }
  $("empty").hidden = snap.services.length > 0;
}
function fmtUptime(s) {
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? d + "d " + h + "h" : h ? h + "h " + m + "m" : m + "m " + (s % 60) + "s";
}
function note(text, err) { const n = $("note"); n.textContent = text; n.className = err ? "err" : ""; }
async function operate(action, name, button) {
  button.disabled = true;
  note(action + " " + name + " ...");
  try {
    const res = await fetch("ops/services." + action, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ names: [name] }) });
    const reply = await res.json();
    const item = reply.ok ? reply.result[0] : undefined;
    if (!reply.ok) note(action + " " + name + ": " + reply.error.code + ": " + reply.error.message, true);
    else if (item.result !== "OK") note(action + " " + name + ": " + item.result + (item.error ? ": " + item.error.message : ""), true);
    else note(action + " " + name + ": OK, " + item.status);
  } catch (e) {
    note(action + " " + name + ": " + e.message, true);
  } finally {
    button.disabled = false;
  }
}
const live = $("live");
const feed = new EventSource("events");
feed.addEventListener("snapshot", (e) => { live.className = "on"; live.textContent = "live"; render(JSON.parse(e.data)); });
feed.onerror = () => { live.className = "off"; live.textContent = "reconnecting"; };
`;

export function pageHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>sma-bridge</title><link rel="icon" href="data:,"><style>${PAGE_STYLE}</style></head>
<body><header><h1>sma-bridge <span id="agent">…</span></h1>
<div class="facts"><span>version <b id="version">?</b></span><span>up <b id="uptime">?</b></span><span>registry <b id="registry">?</b></span>
<span>devices <b id="devices">0</b></span><span>COMPLETE <b id="complete">0</b></span><span>NONE <b id="none">0</b></span><span>as of <b id="at">-</b></span></div>
<span id="live" class="off">connecting</span></header>
<table><thead><tr><th>Service</th><th>Status</th><th>Health</th><th>Restarts</th><th>Last exit</th><th>Policy</th><th>Address</th><th></th></tr></thead>
<tbody id="services"></tbody></table><p id="empty" class="empty" hidden>No services registered.</p>
<p id="note" role="status"></p>
<script>${PAGE_SCRIPT}</script></body></html>
`;
}
