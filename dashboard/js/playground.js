import { call, el, say } from "./api.js";

// The image fields each operation takes (the contract's names) and what each should hold.
const FIELDS = {
  basicswap: [["srcimage", "Source (identity, 1 face)"], ["targetimage", "Target (scene, 1 face)"]],
  faceswap2: [["srcimage", "Source (identities, 2 faces)"], ["targetimage", "Target (scene, 2 faces)"]],
  swap1from2: [["srcimage", "Scene (2 faces)"], ["targetimage1", "Identity for the left face"], ["targetimage2", "Identity for the right face"]],
  swapfacesameimage: [["srcimage", "Image with 2 faces"]],
};
const files = new Map();

export function wirePlayground(onTaskDone) {
  const form = document.getElementById("playground-form");
  const operation = document.getElementById("pg-operation");
  operation.addEventListener("change", () => { files.clear(); renderFields(); });
  form.addEventListener("input", showCurl);
  form.addEventListener("submit", async (event) => { event.preventDefault(); await run(); await onTaskDone(); });
  document.getElementById("pg-copy-curl").addEventListener("click", async () => {
    await navigator.clipboard.writeText(curl());
    say("Request copied as curl (with $FACESWAP_API_KEY in place of your key).");
  });
  renderFields();
}

function renderFields() {
  const op = document.getElementById("pg-operation").value;
  document.getElementById("pg-swap-index-field").hidden = op !== "faceswap2";
  document.getElementById("pg-images").replaceChildren(...FIELDS[op].map(([name, label]) => dropZone(name, label)));
  document.getElementById("pg-result").replaceChildren();
  showCurl();
}

function dropZone(name, label) {
  const id = `pg-file-${name}`;
  const input = el("input", { id, name, type: "file", accept: "image/jpeg,image/png,image/webp", required: "" });
  const figure = el("div", { class: "figure", id: `pg-figure-${name}` });
  const zone = el("div", { class: "drop" }, el("label", { for: id }, `${name}: ${label}`), input,
    el("small", {}, "Choose a file or drop one here."), figure);
  input.addEventListener("change", () => input.files[0] && choose(name, input.files[0], figure));
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault(); zone.classList.remove("over");
    const file = e.dataTransfer.files[0];
    if (file) { input.required = false; choose(name, file, figure); }
  });
  return zone;
}

async function choose(name, file, figure) {
  files.set(name, file);
  const img = el("img", { src: URL.createObjectURL(file), alt: `${name} preview` });
  figure.replaceChildren(img);
  showCurl();
  try {
    const found = await call("POST", "/api/dashboard/faces", file, { raw: true, contentType: file.type || "image/jpeg" });
    await img.decode().catch(() => {});
    const scale = img.clientWidth / found.width;
    for (const face of found.faces) {
      const [x1, y1, x2, y2] = face.box;
      const box = el("div", { class: "box", title: `face ${face.index}` }, el("span", {}, String(face.index)));
      Object.assign(box.style, { left: `${x1 * scale}px`, top: `${y1 * scale}px`, width: `${(x2 - x1) * scale}px`, height: `${(y2 - y1) * scale}px` });
      figure.append(box);
    }
    figure.dataset.faces = String(found.faces.length);
    say(`${name}: ${found.faces.length} face(s) found, numbered as swap_index counts them.`);
  } catch (error) {
    figure.dataset.faces = "0";
    say(`${name}: ${error.message}`, true);
  }
}

function fieldValues() {
  const op = document.getElementById("pg-operation").value;
  const values = { enhance: document.getElementById("pg-enhance").checked ? "true" : "false" };
  const index = document.getElementById("pg-swap-index").value.trim();
  if (op === "faceswap2" && index) values.swap_index = index;
  return { op, values };
}

function curl() {
  const { op, values } = fieldValues();
  const parts = [`curl -X POST "${location.origin}/api/faceswap/${op}"`, `  -H "X-Api-Key: $FACESWAP_API_KEY"`];
  for (const [name] of FIELDS[op]) parts.push(`  -F "${name}=@${files.get(name)?.name || `${name}.jpg`}"`);
  for (const [name, value] of Object.entries(values)) parts.push(`  -F "${name}=${value}"`);
  return parts.join(" \\\n");
}

function showCurl() { document.getElementById("pg-curl").textContent = curl(); }

async function run() {
  const { op, values } = fieldValues();
  const key = document.getElementById("pg-key").value.trim();
  const form = new FormData();
  for (const [name] of FIELDS[op]) {
    if (!files.has(name)) { say(`Choose an image for ${name} first.`, true); return; }
    form.append(name, files.get(name), files.get(name).name);
  }
  for (const [name, value] of Object.entries(values)) form.append(name, value);
  const result = document.getElementById("pg-result");
  result.replaceChildren(el("p", {}, "Submitting…"));
  // The public API, with the API key (not the dashboard token): exactly what a customer's code sends.
  const answer = await fetch(`/api/faceswap/${op}`, { method: "POST", headers: { "X-Api-Key": key }, body: form, credentials: "omit" });
  const submitted = await answer.json().catch(() => ({}));
  if (!answer.ok) { result.replaceChildren(el("p", { class: "status-failed" }, `${answer.status} ${submitted?.error?.code}: ${submitted?.error?.message}`)); return; }
  result.replaceChildren(el("p", {}, `Task ${submitted.task_id} ${submitted.status}…`));
  for (let i = 0; i < 300; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const poll = await fetch(submitted.status_url, { headers: { "X-Api-Key": key }, credentials: "omit" });
    const task = await poll.json().catch(() => ({}));
    if (task.status === "completed") {
      const inputs = FIELDS[op].map(([name]) => el("figure", {}, el("img", { src: URL.createObjectURL(files.get(name)), alt: name }), el("figcaption", {}, name)));
      const out = el("figure", { id: "pg-output" }, el("img", { src: task.image_url, alt: "Swap result" }), el("figcaption", {}, `Result (task ${task.task_id})`));
      const warnings = task.quality?.warnings?.length ? el("p", {}, `Quality warnings: ${task.quality.warnings.join(", ")}`) : "";
      result.replaceChildren(...inputs, out, warnings);
      say("Swap completed.");
      return;
    }
    if (task.status === "failed" || !poll.ok) {
      result.replaceChildren(el("p", { class: "status-failed" }, `Failed: ${task?.error?.code || poll.status} ${task?.error?.message || ""}`));
      return;
    }
    result.firstChild.textContent = `Task ${submitted.task_id} ${task.status}…`;
  }
}
