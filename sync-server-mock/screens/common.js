// Plumbing shared by the screens: the page's configuration (from core,
// embedded by the server), the session, DOM building (text only, never HTML
// from data), the JSON API, errors next to their fields, page frames.

export const config = JSON.parse(document.getElementById("fs-config").textContent);
export const state = {
  token: sessionStorage.getItem("fs-token"),
  user: JSON.parse(sessionStorage.getItem("fs-user") || "null"),
  lang: localStorage.getItem("fs-lang") || "en",
  notice: null,
  // Which navigation is current: a screen whose data arrives after the
  // user moved on does not draw over the newer one.
  seq: 0,
};

/// Awaits `promise`; throws `Superseded` if the user navigated meanwhile.
export class Superseded extends Error {}
export async function fresh(promise) {
  const mine = state.seq;
  const value = await promise;
  if (mine !== state.seq) throw new Superseded();
  return value;
}

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.reason || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (_) { data = null; }
  }
  if (res.status === 401 && state.token) {
    forget();
    location.hash = "#/sign-in";
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export function forget() {
  state.token = null;
  state.user = null;
  sessionStorage.removeItem("fs-token");
  sessionStorage.removeItem("fs-user");
}

export const canEdit = () => state.user && state.user.role !== "technician";

/// A multi-language text in the chosen language (then its base language,
/// English, any), as the app's labels fall back.
export function inLanguage(text) {
  if (!text) return "";
  const base = state.lang.split("-")[0];
  return text[state.lang] || text[base] || text.en || Object.values(text)[0] || "";
}

export function frequencyLabel(code) {
  const found = config.visit_frequencies.find((f) => f.code === code);
  return found ? found.label : code;
}

/// Shows the API's field errors next to their fields (ids `<field>-error`);
/// anything not tied to a field goes to the form's notice.
export function showErrors(form, error) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  for (const old of form.querySelectorAll("[aria-invalid]")) old.removeAttribute("aria-invalid");
  const field = error.body && error.body.field ? String(error.body.field).split(/[.[]/)[0] : null;
  const slot = field && form.querySelector(`[data-field="${CSS.escape(field)}"]`);
  const message = error.body && error.body.reason
    ? `${labelOf(field)} ${error.body.reason}`
    : error.message;
  if (slot) {
    const id = `${field}-error`;
    slot.append(h("p", { class: "field-error", id, role: "alert", text: message }));
    for (const input of slot.querySelectorAll("input:not([data-no-error]), select:not([data-no-error]), textarea")) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
    }
  } else {
    form.prepend(h("p", { class: "notice error", role: "alert", text: message }));
  }
}

export const FIELD_NAMES = {
  organization: "Organization", name: "Name", visit_frequency: "Visit frequency",
  description: "Description", segment_id: "Segment", note: "Note", priority: "Priority",
};
export const labelOf = (field) => FIELD_NAMES[field] || field || "";

// The router (portal.js registers it): modules show a screen again
// through `refresh` without importing the router back.
let router = () => {};
export function setRouter(route) { router = route; }

/// Shows the current screen again (after a change).
export function refresh() { return router(); }

/// Shows `hash`, also when it is the current one (no hashchange then).
export function navigate(hash) {
  if (location.hash === hash) router();
  else location.hash = hash;
}

export function page(title, crumbs, ...content) {
  const main = document.getElementById("main");
  const notice = state.notice;
  state.notice = null;
  main.replaceChildren(...[
    crumbs ? h("p", { class: "crumbs", text: crumbs }) : null,
    h("h1", { text: title }),
    notice ? h("p", { class: "notice", role: "status", text: notice }) : null,
    ...content,
  ].filter((node) => node !== null && node !== undefined));
  document.title = `${title} · Portal`;
}

export function confirmDelete(title, text) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

