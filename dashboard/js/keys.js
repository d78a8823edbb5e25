import { call, el, say, when } from "./api.js";

// The key just created: shown once, kept in memory for the playground, never stored or logged.
export let lastCreatedKey = null;

let afterChange = async () => {};

export async function loadKeys() {
  const { keys } = await call("GET", "/api/dashboard/keys");
  const body = document.querySelector("#keys-table tbody");
  body.replaceChildren(...keys.map(row));
  if (keys.length === 0) body.append(el("tr", {}, el("td", { colspan: "7" }, "No keys yet: create one above.")));
}

function row(key) {
  const actions = el("td");
  const act = (label, change, className) =>
    el("button", { type: "button", class: className, "aria-label": `${label} key ${key.name}`, onclick: () => changeKey(key, change) }, label);
  if (key.status === "active") actions.append(act("Disable", "disable", "secondary"), " ", act("Revoke", "revoke", "danger"));
  if (key.status === "disabled") actions.append(act("Enable", "enable", "secondary"), " ", act("Revoke", "revoke", "danger"));
  return el("tr", { "data-key-id": key.key_id },
    el("td", {}, el("code", {}, key.prefix ? `${key.prefix}…` : "—")),
    el("td", {}, key.name), el("td", {}, key.plan), el("td", {}, when(key.created_at)),
    el("td", { class: "last-used" }, when(key.last_used_at)),
    el("td", { class: `status-${key.status}` }, key.status), actions);
}

async function changeKey(key, change) {
  if (change === "revoke" && !window.confirm(`Revoke "${key.name}"? Requests with it will get 401 from now on.`)) return;
  await call("POST", `/api/dashboard/keys/${encodeURIComponent(key.key_id)}/${change}`);
  say(`Key "${key.name}" ${change === "revoke" ? "revoked" : change + "d"}.`);
  await afterChange();
}

export function wireKeys(onChange) {
  afterChange = onChange;
  const form = document.getElementById("create-key-form");
  const shown = document.getElementById("new-key");
  const value = document.getElementById("new-key-value");
  const secret = document.getElementById("new-key-secret");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value;
    const created = await call("POST", "/api/dashboard/keys", { name });
    lastCreatedKey = created.api_key;
    value.textContent = created.api_key;
    secret.textContent = created.webhook_secret;
    shown.hidden = false;
    document.getElementById("pg-key").value = created.api_key;
    form.reset();
    say(`Key "${created.key.name}" created. Copy it and its webhook secret now: they are not shown again.`);
    document.getElementById("copy-key").focus();
    await onChange();
  });
  document.getElementById("copy-key").addEventListener("click", async () => {
    await navigator.clipboard.writeText(value.textContent);
    say("Key copied to the clipboard.");
  });
  document.getElementById("copy-secret").addEventListener("click", async () => {
    await navigator.clipboard.writeText(secret.textContent);
    say("Webhook secret copied to the clipboard.");
  });
  document.getElementById("dismiss-key").addEventListener("click", () => {
    value.textContent = "";
    secret.textContent = "";
    shown.hidden = true;
  });
}
