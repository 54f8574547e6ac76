// The vanilla reference of the page benchmark: what a careful hand-written page does
// with the same API — fetch the counts and a page of agents, draw the table, and on a
// tick update only what changes (the counter, the row's Voice/Transcription pair, and a
// column when its type's availability reaches or leaves zero).
const TYPES = [
  ["voice", "Voice"],
  ["web_chat", "Web Chat"],
  ["sms", "SMS"],
  ["transcription", "Transcription"],
];
const params = new URLSearchParams(location.search);
const perPage = params.get("per_page") || "50";

const [summary, page] = await Promise.all([
  fetch("/api/v1/licenses").then((r) => r.json()),
  fetch(`/api/v1/agents?per_page=${perPage}`).then((r) => r.json()),
]);
const pool = {};
for (const l of summary.licenses) pool[l.license] = { ...l, delta: 0 };
const channel = summary.web_chat_channel;

const counters = document.querySelector(".alc-counters");
const counterText = {};
for (const [key, label] of TYPES) {
  const div = document.createElement("div");
  div.className = "alc-counter";
  div.setAttribute("role", "group");
  div.setAttribute("aria-label", label);
  const name = document.createElement("span");
  name.textContent = label;
  const text = document.createElement("span");
  div.append(name, " ", text);
  counters.append(div);
  counterText[key] = text;
}
const available = (key) => Math.max(0, pool[key].purchased - pool[key].assigned - pool[key].delta);
function drawCounter(key) {
  const p = pool[key];
  counterText[key].textContent =
    `${available(key)} available, ${p.assigned + p.delta} of ${p.purchased} assigned` +
    (p.delta ? ` (${p.delta > 0 ? "+" : ""}${p.delta} unsaved)` : "");
}
TYPES.forEach(([key]) => drawCounter(key));

const rows = [];
function blocked(row, key) {
  const held = row.held;
  const want = !held.has(key);
  if (!want) return key === "voice" && held.has("transcription");
  if (key === "web_chat" && !channel) return true;
  if (key === "transcription" && !held.has("voice")) return true;
  return available(key) <= 0;
}
function refreshBox(row, key) {
  row.boxes[key].disabled = blocked(row, key);
}

const tbody = document.querySelector("tbody");
const frag = document.createDocumentFragment();
for (const agent of page.agents) {
  const tr = document.createElement("tr");
  const row = { agent, held: new Set(agent.licenses), boxes: {} };
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = agent.name;
  tr.append(th);
  for (const text of [agent.extension, agent.email, agent.source]) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  for (const [key, label] of TYPES) {
    const td = document.createElement("td");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = row.held.has(key);
    box.setAttribute("aria-label", `${label} license for ${agent.name}`);
    box.addEventListener("change", () => tick(row, key, box.checked));
    td.append(box);
    tr.append(td);
    row.boxes[key] = box;
  }
  rows.push(row);
  frag.append(tr);
}
for (const row of rows) TYPES.forEach(([key]) => refreshBox(row, key));
tbody.append(frag);

function tick(row, key, want) {
  const wasLeft = available(key) > 0;
  if (want) row.held.add(key);
  else row.held.delete(key);
  // Every flip takes or frees one seat, whatever was saved.
  pool[key].delta += want ? 1 : -1;
  drawCounter(key);
  for (const [k] of TYPES) refreshBox(row, k);
  if (wasLeft !== available(key) > 0) for (const r of rows) refreshBox(r, key);
}
