import { call, el } from "./api.js";

const SVG = "http://www.w3.org/2000/svg";

export async function loadUsage() {
  const { keys, days } = await call("GET", "/api/dashboard/usage");
  const cards = document.getElementById("usage-keys");
  cards.replaceChildren(...keys.map(card));
  if (keys.length === 0) cards.append(el("p", {}, "No active keys."));
  document.querySelector("#usage-days tbody").replaceChildren(
    ...days.map((d) => el("tr", {}, el("td", {}, d.date), el("td", {}, d.accepted), el("td", {}, d.refused))));
  document.getElementById("usage-chart").replaceChildren(chart(days));
}

function meter(label, window) {
  const bar = el("div");
  bar.style.width = `${Math.min(100, (100 * window.used) / window.limit)}%`; // CSSOM: allowed by the CSP
  return el("div", {},
    el("div", { class: "window" }, `${label}: ${window.used} / ${window.limit}`),
    el("div", { class: "meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": String(window.limit),
      "aria-valuenow": String(window.used), "aria-label": `${label} requests` }, bar));
}

function card(key) {
  const refused = key.days.reduce((sum, d) => sum + d.refused, 0);
  return el("div", { class: "card usage-card", "data-key-id": key.key_id },
    el("h3", {}, `${key.name} (${key.plan})`),
    meter("This hour", key.hour), meter("Today (UTC)", key.day),
    el("p", {}, `Refused with 429 in 7 days: `, el("strong", { class: "refused" }, refused)));
}

function chart(days) {
  const width = 640, height = 180, pad = 24;
  const top = Math.max(1, ...days.map((d) => d.accepted + d.refused));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Requests per day for the last 7 days; the table below has the numbers");
  const slot = (width - pad) / Math.max(1, days.length);
  days.forEach((d, i) => {
    const x = pad + i * slot + slot * 0.15, w = slot * 0.7;
    const scale = (n) => ((height - 2 * pad) * n) / top;
    const accepted = rect(x, height - pad - scale(d.accepted), w, scale(d.accepted), "accepted");
    const refused = rect(x, height - pad - scale(d.accepted) - scale(d.refused), w, scale(d.refused), "refused");
    const label = text(x + w / 2, height - 6, d.date.slice(5));
    const count = text(x + w / 2, height - pad - scale(d.accepted + d.refused) - 4, d.refused ? `${d.accepted} +${d.refused}` : String(d.accepted));
    svg.append(accepted, refused, label, count);
  });
  return svg;
}

function text(x, y, content) {
  const node = document.createElementNS(SVG, "text");
  node.setAttribute("x", String(x)); node.setAttribute("y", String(y)); node.setAttribute("text-anchor", "middle");
  node.textContent = content;
  return node;
}

function rect(x, y, w, h, className) {
  const node = document.createElementNS(SVG, "rect");
  for (const [k, v] of Object.entries({ x, y, width: w, height: Math.max(0, h) })) node.setAttribute(k, String(v));
  node.setAttribute("class", className);
  return node;
}
