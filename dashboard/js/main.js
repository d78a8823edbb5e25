import { call, say, setToken } from "./api.js";
import { loadKeys, wireKeys } from "./keys.js";
import { wirePlayground } from "./playground.js";
import { loadTasks } from "./tasks.js";
import { loadUsage } from "./usage.js";

const SECTIONS = ["keys", "usage", "tasks", "playground"];
let pendingEmail = "";

function guarded(handler) {
  return async (event) => {
    try { await handler(event); } catch (error) { say(error.message, true); }
  };
}

async function refresh() { await Promise.all([loadKeys(), loadUsage(), loadTasks()]); }

function show(signedIn, email = "") {
  document.getElementById("account").hidden = signedIn;
  document.getElementById("nav").hidden = !signedIn;
  for (const id of SECTIONS) document.getElementById(id).hidden = !signedIn;
  document.getElementById("who").textContent = email;
}

const signupForm = document.getElementById("signup-form");
signupForm.addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const email = signupForm.elements.email.value, password = signupForm.elements.password.value;
  const answer = await call("POST", "/api/dashboard/auth/signup", { email, password });
  pendingEmail = email;
  if (answer.confirmed) { say("Account created: sign in."); return; }
  document.getElementById("confirm-email-shown").textContent = email;
  document.getElementById("confirm-form").hidden = false;
  document.getElementById("confirm-code").focus();
  say("Account created. Enter the code we sent by e-mail.");
}));

const confirmForm = document.getElementById("confirm-form");
confirmForm.addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  await call("POST", "/api/dashboard/auth/confirm", { email: pendingEmail, code: confirmForm.elements.code.value });
  confirmForm.hidden = true;
  document.getElementById("signin-email").value = pendingEmail;
  document.getElementById("signin-password").focus();
  say("E-mail confirmed: sign in.");
}));

const signinForm = document.getElementById("signin-form");
signinForm.addEventListener("submit", guarded(async (event) => {
  event.preventDefault();
  const tokens = await call("POST", "/api/dashboard/auth/signin", {
    email: signinForm.elements.email.value, password: signinForm.elements.password.value });
  setToken(tokens.id_token);
  const me = await call("GET", "/api/dashboard/me");
  signinForm.reset();
  show(true, me.email);
  say(`Signed in as ${me.email}.`);
  await refresh();
  document.getElementById("key-name").focus();
}));

document.getElementById("sign-out").addEventListener("click", () => {
  setToken(null);
  // Nothing of the session stays on the page: the key shown once and the playground's copy of it.
  document.getElementById("new-key-value").textContent = "";
  document.getElementById("new-key").hidden = true;
  document.getElementById("pg-key").value = "";
  show(false);
  say("Signed out.");
});
document.getElementById("refresh-usage").addEventListener("click", guarded(loadUsage));
document.getElementById("refresh-tasks").addEventListener("click", guarded(loadTasks));
wireKeys(refresh);
wirePlayground(guarded(refresh));
window.addEventListener("unhandledrejection", (event) => say(event.reason?.message || String(event.reason), true));
