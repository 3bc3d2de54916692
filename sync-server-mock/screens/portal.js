// The Portal stand-in's screens: one small page over the mock's JSON API
// (plain ES modules, no build step, served as they are). Every rule stays
// on the server: forms send what the user typed and show the API's
// answers, a 422 next to the field it names. Role-aware: technicians read,
// managers and admins change.
//
// This module signs in and routes; the screens live in their own modules.

import { api, ApiError, config, forget, h, navigate, setRouter, showErrors, state, Superseded, page } from "./common.js";
import { accountOverview, accountsList } from "./accounts.js";
import {
  customerSegmentChoice, customerSegmentDetail, customerSegmentEdit,
  customerSegmentForm, customerSegmentsList,
} from "./customer-segments.js";
import { SEGMENTS, segmentForm, segmentsList } from "./marketing-segments.js";

// ---------------------------------------------------------------------------
// Sign-in

function signIn() {
  const form = h("form", { class: "card signin", novalidate: true },
    h("h1", { text: "Sign in to the Portal" }),
    h("p", { class: "readonly", text: "Demo users: admin, manager, tech (the password is the name)." }),
    h("div", { class: "field", "data-field": "username" },
      h("label", { for: "username", text: "Username" }),
      h("input", { type: "text", id: "username", name: "username", autocomplete: "username", required: true })),
    h("div", { class: "field", "data-field": "password" },
      h("label", { for: "password", text: "Password" }),
      h("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true })),
    h("div", { class: "buttons" }, h("button", { type: "submit", text: "Sign in" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await api("POST", "/auth/v1/login", {
        username: form.username.value, password: form.password.value,
      });
      state.token = answer.access_token;
      state.user = answer.user;
      sessionStorage.setItem("fs-token", state.token);
      sessionStorage.setItem("fs-user", JSON.stringify(state.user));
      navigate(SEGMENTS);
    } catch (error) {
      showErrors(form, error.status === 401
        ? new ApiError(401, { reason: "Wrong username or password." })
        : error);
    }
  });
  document.getElementById("main").replaceChildren(form);
  document.title = "Sign in · Portal";
}

// ---------------------------------------------------------------------------
// Routing

const ROUTES = [
  [/^#\/settings\/sales\/marketing-segments\/?$/, () => segmentsList(), "marketing-segments"],
  [/^#\/settings\/sales\/marketing-segments\/new$/, () => segmentForm(null), "marketing-segments"],
  [/^#\/settings\/sales\/marketing-segments\/(.+)$/, (m) => segmentForm(decodeURIComponent(m[1])), "marketing-segments"],
  [/^#\/accounts\/?$/, () => accountsList(), "accounts"],
  [/^#\/accounts\/(.+)$/, (m) => accountOverview(decodeURIComponent(m[1])), "accounts"],
  [/^#\/loyalty\/customer-segments\/?$/, () => customerSegmentsList(), "customer-segments"],
  [/^#\/loyalty\/customer-segments\/new$/, () => customerSegmentChoice(), "customer-segments"],
  [/^#\/loyalty\/customer-segments\/new\/empty$/, () => customerSegmentForm(false), "customer-segments"],
  [/^#\/loyalty\/customer-segments\/new\/conditions$/, () => customerSegmentForm(true), "customer-segments"],
  [/^#\/loyalty\/customer-segments\/(.+)\/edit$/, (m) => customerSegmentEdit(decodeURIComponent(m[1])), "customer-segments"],
  [/^#\/loyalty\/customer-segments\/(.+)$/, (m) => customerSegmentDetail(decodeURIComponent(m[1])), "customer-segments"],
];

async function route() {
  state.seq += 1;
  const signedIn = Boolean(state.token);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  if (!signedIn) {
    signIn();
    return;
  }
  document.getElementById("who-name").textContent = `${state.user.id} (${state.user.role}, ${state.user.organization_id})`;
  const hash = location.hash || SEGMENTS;
  const found = ROUTES.map(([re, show, nav]) => [hash.match(re), show, nav]).find(([m]) => m);
  if (!found) {
    location.hash = SEGMENTS;
    return;
  }
  const [match, show, nav] = found;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    await show(match);
  } catch (error) {
    if (error instanceof Superseded) return;
    page("Something went wrong", null, h("p", { class: "notice error", role: "alert", text: error.message }));
  }
  document.getElementById("main").focus();
}

function start() {
  const select = document.getElementById("display-language");
  for (const lang of config.languages) {
    select.append(h("option", { value: lang, text: lang, selected: lang === state.lang }));
  }
  select.addEventListener("change", () => {
    state.lang = select.value;
    localStorage.setItem("fs-lang", state.lang);
    route();
  });
  document.getElementById("sign-out").addEventListener("click", async () => {
    try { await api("POST", "/auth/v1/logout"); } catch (_) { /* signed out either way */ }
    forget();
    navigate("#/sign-in");
  });
  setRouter(route);
  window.addEventListener("hashchange", route);
  route();
}

start();
