import { call, el, when } from "./api.js";

export async function loadTasks() {
  const { tasks } = await call("GET", "/api/dashboard/tasks");
  const body = document.querySelector("#tasks-table tbody");
  body.replaceChildren(...tasks.map((t) => el("tr", { "data-task-id": t.task_id },
    el("td", {}, t.image_url ? el("a", { href: t.image_url, target: "_blank", rel: "noopener noreferrer" },
      el("img", { class: "thumb", src: t.image_url, alt: `Result of ${t.operation}` })) : "—"),
    el("td", {}, t.operation), el("td", { class: `status-${t.status}` }, t.status),
    el("td", {}, when(t.created_at)), el("td", {}, when(t.updated_at)),
    el("td", {}, t.error_code || ""), el("td", {}, t.warnings.join(", ")), el("td", {}, t.key_name))));
  if (tasks.length === 0) body.append(el("tr", {}, el("td", { colspan: "8" }, "No tasks yet: try the playground.")));
}
