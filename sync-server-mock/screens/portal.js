// The Portal stand-in's screens: one small page over the mock's JSON API
// (no build step, served as it is). Every rule stays on the server: forms
// send what the user typed and show the API's answers, a 422 next to the
// field it names. Role-aware: technicians read, managers and admins change.
"use strict";

const config = JSON.parse(document.getElementById("fs-config").textContent);
const state = {
  token: sessionStorage.getItem("fs-token"),
  user: JSON.parse(sessionStorage.getItem("fs-user") || "null"),
  lang: localStorage.getItem("fs-lang") || "en",
  notice: null,
  // Which navigation is current: a screen whose data arrives after the
  // user moved on does not draw over the newer one.
  seq: 0,
};

/// Awaits `promise`; throws `Superseded` if the user navigated meanwhile.
class Superseded extends Error {}
async function fresh(promise) {
  const mine = state.seq;
  const value = await promise;
  if (mine !== state.seq) throw new Superseded();
  return value;
}

// ---------------------------------------------------------------------------
// Plumbing: DOM building (text only, never HTML from data), the API.

function h(tag, attrs, ...children) {
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

class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.reason || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body) {
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

function forget() {
  state.token = null;
  state.user = null;
  sessionStorage.removeItem("fs-token");
  sessionStorage.removeItem("fs-user");
}

const canEdit = () => state.user && state.user.role !== "technician";

/// A multi-language text in the chosen language (then its base language,
/// English, any), as the app's labels fall back.
function inLanguage(text) {
  if (!text) return "";
  const base = state.lang.split("-")[0];
  return text[state.lang] || text[base] || text.en || Object.values(text)[0] || "";
}

function frequencyLabel(code) {
  const found = config.visit_frequencies.find((f) => f.code === code);
  return found ? found.label : code;
}

/// Shows the API's field errors next to their fields (ids `<field>-error`);
/// anything not tied to a field goes to the form's notice.
function showErrors(form, error) {
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

const FIELD_NAMES = {
  organization: "Organization", name: "Name", visit_frequency: "Visit frequency",
  description: "Description", segment_id: "Segment", note: "Note", priority: "Priority",
};
const labelOf = (field) => FIELD_NAMES[field] || field || "";

/// Shows `hash`, also when it is the current one (no hashchange then).
function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function page(title, crumbs, ...content) {
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

function confirmDelete(title, text) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

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
// Settings → Sales → Marketing Segments

const SEGMENTS = "#/settings/sales/marketing-segments";

async function segmentsList() {
  const segments = await fresh(api("GET", "/portal/v1/marketing-segments"));
  segments.sort((a, b) => inLanguage(a.name).localeCompare(inLanguage(b.name)));
  const rows = segments.map((s) => {
    // The other languages stay visible under the chosen one.
    const others = Object.entries(s.name)
      .filter(([, text]) => text !== inLanguage(s.name))
      .map(([lang, text]) => h("span", { class: "other", lang, text: `${lang}: ${text}` }));
    return h("tr", { "data-id": s.id },
      h("td", { text: s.organization }),
      h("td", {}, h("span", { class: "label", text: inLanguage(s.name) }), others),
      h("td", { text: frequencyLabel(s.visit_frequency) }),
      h("td", { text: s.description || "" }),
      canEdit()
        ? h("td", {},
            h("a", { href: `${SEGMENTS}/${encodeURIComponent(s.id)}`, "aria-label": `Edit ${inLanguage(s.name)}`, text: "Edit" }),
            " ",
            h("button", { type: "button", class: "link danger-text", "aria-label": `Delete ${inLanguage(s.name)}`, text: "Delete",
              onclick: () => deleteSegment(s) }))
        : null);
  });
  page("Marketing Segments", "Settings › Sales",
    canEdit() ? h("div", { class: "toolbar" }, h("a", { class: "button", href: `${SEGMENTS}/new`, text: "+ Add" })) : null,
    h("table", { "aria-label": "Marketing Segments" },
      h("thead", {}, h("tr", {},
        h("th", { scope: "col", text: "Organization" }),
        h("th", { scope: "col", text: "Marketing Segment" }),
        h("th", { scope: "col", text: "Visit frequency" }),
        h("th", { scope: "col", text: "Description" }),
        canEdit() ? h("th", { scope: "col", text: "Actions" }) : null)),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5, text: "No marketing segments yet." })))));
}

async function deleteSegment(segment) {
  const label = inLanguage(segment.name);
  if (!(await confirmDelete("Delete marketing segment", `Delete “${label}”? Devices stop offering it; customers keep its label.`))) return;
  try {
    await api("DELETE", `/portal/v1/marketing-segments/${encodeURIComponent(segment.id)}`);
    state.notice = `Deleted “${label}”.`;
  } catch (error) {
    state.notice = `Not deleted: ${error.message}`;
  }
  route();
}

function languageRow(lang, text, editable) {
  const id = `name-${lang}`;
  return h("div", { class: "lang-row", "data-lang": lang },
    h("label", { for: id, text: `Marketing Segment (${lang})` }),
    h("input", { type: "text", id, name: id, lang, value: text || "", readonly: !editable }));
}

async function segmentForm(id) {
  const [organizations, segment] = await fresh(Promise.all([
    api("GET", "/portal/v1/organizations"),
    id ? api("GET", "/portal/v1/marketing-segments").then((all) => all.find((s) => s.id === id)) : null,
  ]));
  if (id && !segment) {
    page("Marketing segment not found", "Settings › Sales › Marketing Segments",
      h("p", {}, h("a", { href: SEGMENTS, text: "Back to Marketing Segments" })));
    return;
  }
  const editable = canEdit();
  const names = segment ? { ...segment.name } : { [state.lang.split("-")[0]]: "" };
  const languages = h("div", { id: "languages" },
    Object.entries(names).map(([lang, text]) => languageRow(lang, text, editable)));
  const addLanguage = h("select", { id: "add-language", "data-no-error": true },
    config.languages.map((lang) => h("option", { value: lang, text: lang })));
  const scope = segment ? segment.organization : "ALL";
  const form = h("form", { class: "card", novalidate: true },
    h("div", { class: "field", "data-field": "organization" },
      h("label", { for: "organization", text: "Organization" }),
      h("select", { id: "organization", name: "organization", disabled: !editable },
        h("option", { value: "ALL", text: "ALL", selected: scope === "ALL" }),
        organizations.map((o) => h("option", { value: o.id, text: o.id, selected: scope === o.id })))),
    h("fieldset", { class: "field", "data-field": "name" },
      h("legend", { text: "Marketing Segment" }),
      languages,
      editable ? h("div", { class: "add-language" },
        h("div", {}, h("label", { for: "add-language", text: "Language" }), addLanguage),
        h("button", { type: "button", class: "secondary", text: "Add language", onclick: () => {
          const lang = addLanguage.value;
          if (!languages.querySelector(`[data-lang="${CSS.escape(lang)}"]`)) {
            languages.append(languageRow(lang, "", true));
          }
          document.getElementById(`name-${lang}`).focus();
        } })) : null),
    h("div", { class: "field", "data-field": "visit_frequency" },
      h("label", { for: "visit_frequency", text: "Visit frequency" }),
      h("select", { id: "visit_frequency", name: "visit_frequency", disabled: !editable },
        config.visit_frequencies.map((f) => h("option", {
          value: f.code, text: f.label,
          selected: (segment ? segment.visit_frequency : "none") === f.code,
        })))),
    h("div", { class: "field", "data-field": "description" },
      h("label", { for: "description", text: "Description" }),
      h("textarea", { id: "description", name: "description", readonly: !editable }, segment ? segment.description || "" : "")),
    h("div", { class: "buttons" },
      editable ? h("button", { type: "submit", text: "Save" }) : null,
      editable && segment ? h("button", { type: "button", class: "danger", text: "Delete", onclick: () => deleteSegment(segment) }) : null,
      h("a", { href: SEGMENTS, class: "button secondary", text: editable ? "Cancel" : "Back" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = {};
    for (const row of languages.querySelectorAll(".lang-row")) {
      name[row.dataset.lang] = row.querySelector("input").value;
    }
    const body = {
      organization: form.organization.value,
      name,
      visit_frequency: form.visit_frequency.value,
    };
    if (form.description.value.trim()) body.description = form.description.value;
    try {
      const saved = segment
        ? await api("PUT", `/portal/v1/marketing-segments/${encodeURIComponent(segment.id)}`, body)
        : await api("POST", "/portal/v1/marketing-segments", body);
      state.notice = `Saved “${inLanguage(saved.name)}”.`;
      navigate(SEGMENTS);
    } catch (error) {
      showErrors(form, error);
    }
  });
  page(segment ? `Edit ${inLanguage(segment.name)}` : "Add marketing segment",
    "Settings › Sales › Marketing Segments", form);
}

// ---------------------------------------------------------------------------
// Accounts

async function accountsList() {
  const [customers, segments] = await fresh(Promise.all([
    api("GET", "/portal/v1/customers"),
    api("GET", "/portal/v1/marketing-segments"),
  ]));
  const segmentName = new Map(segments.map((s) => [s.id, inLanguage(s.name)]));
  customers.sort((a, b) => a.name.localeCompare(b.name));
  const body = h("tbody");
  const search = h("input", { type: "search", id: "account-search", placeholder: "Name contains…" });
  const show = () => {
    const wanted = search.value.trim().toLocaleLowerCase();
    const shown = customers.filter((c) => !wanted || c.name.toLocaleLowerCase().includes(wanted)).slice(0, 200);
    body.replaceChildren(...shown.map((c) => h("tr", {},
      h("td", {}, h("a", { href: `#/accounts/${encodeURIComponent(c.id)}`, text: c.name })),
      h("td", { text: c.organization_id }),
      h("td", { text: c.segment_id ? (segmentName.get(c.segment_id) || c.segment_id) : "" }))));
    if (!shown.length) body.replaceChildren(h("tr", {}, h("td", { colspan: 3, text: "No accounts match." })));
  };
  search.addEventListener("input", show);
  show();
  page("Accounts", null,
    h("div", { class: "toolbar" }, h("div", {}, h("label", { for: "account-search", text: "Search" }), search)),
    h("table", { "aria-label": "Accounts" },
      h("thead", {}, h("tr", {},
        h("th", { scope: "col", text: "Name" }),
        h("th", { scope: "col", text: "Organization" }),
        h("th", { scope: "col", text: "Segment" }))),
      body));
}

async function accountOverview(id) {
  const [customer, segments] = await fresh(Promise.all([
    api("GET", `/portal/v1/customers/${encodeURIComponent(id)}`),
    api("GET", "/portal/v1/marketing-segments"),
  ]));
  segments.sort((a, b) => inLanguage(a.name).localeCompare(inLanguage(b.name)));
  const current = segments.find((s) => s.id === customer.segment_id);
  const editable = canEdit();
  const form = h("form", { novalidate: true },
    h("h2", { text: "Marketing Information" }),
    h("div", { class: "field", "data-field": "segment_id" },
      h("label", { for: "segment", text: "Segment" }),
      editable
        ? h("select", { id: "segment", name: "segment" },
            h("option", { value: "", text: "— None —" }),
            segments.map((s) => h("option", { value: s.id, text: inLanguage(s.name), selected: s.id === customer.segment_id })))
        : h("input", { type: "text", id: "segment", readonly: true,
            value: current ? inLanguage(current.name) : (customer.segment_id || "—") }),
      editable ? null : h("p", { class: "readonly", text: "Only a manager or an admin can change the segment of an existing customer." })),
    editable ? h("div", { class: "buttons" }, h("button", { type: "submit", text: "Save" })) : null);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("PUT", `/portal/v1/customers/${encodeURIComponent(id)}`, { segment_id: form.segment.value || null });
      state.notice = "Saved the segment.";
      route();
    } catch (error) {
      showErrors(form, error);
    }
  });
  page(customer.name, "Accounts › Account Overview",
    h("section", { class: "card", "aria-label": "Account Overview" },
      h("dl", { class: "facts" },
        h("dt", { text: "Organization" }), h("dd", { text: customer.organization_id }),
        h("dt", { text: "Last visit" }), h("dd", { text: customer.last_visit || "—" }),
        h("dt", { text: "Version" }), h("dd", { text: customer.version }))),
    h("details", { id: "more-details" }, h("summary", { text: "More Details" }), form));
}

// ---------------------------------------------------------------------------
// Loyalty & Administration → Customer segments list

const CUSTOMER_SEGMENTS = "#/loyalty/customer-segments";

async function customerSegmentsList() {
  const segments = await fresh(api("GET", "/portal/v1/customer-segments"));
  // Static segments list their members; a conditional segment's members
  // are evaluated on the devices (the Portal's own count is the next step).
  const counts = await fresh(Promise.all(segments.map((s) => s.kind !== "static" ? "—"
    : api("GET", `/portal/v1/customer-segments/${encodeURIComponent(s.id)}/members?limit=500`)
      .then((m) => `${m.customer_ids.length}${m.next_after ? "+" : ""}`)
      .catch(() => "—"))));
  page("Customer segments list", "Loyalty & Administration",
    canEdit() ? h("div", { class: "toolbar" }, h("a", { class: "button", href: `${CUSTOMER_SEGMENTS}/new`, text: "Create new" })) : null,
    h("table", { "aria-label": "Customer segments" },
      h("thead", {}, h("tr", {},
        ["Name", "Kind", "Flexi", "Priority", "Members", "Tags"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, segments.map((s, i) => h("tr", { "data-id": s.id },
        h("td", {}, h("a", { href: `${CUSTOMER_SEGMENTS}/${encodeURIComponent(s.id)}`, text: s.name })),
        h("td", { text: s.kind === "conditional" ? "Conditions" : "Static" }),
        h("td", { text: s.flexi ? "Yes" : "No" }),
        h("td", { text: s.priority }),
        h("td", { text: counts[i] }),
        h("td", { text: (s.tags || []).join(", ") }))))));
}

/// "Create new": the seed's two possibilities.
function customerSegmentChoice() {
  page("Create new customer segment", "Loyalty & Administration › Customer segments list",
    h("div", { class: "card" },
      h("p", { text: "How do you want to create the segment?" }),
      h("div", { class: "buttons" },
        h("a", { class: "button", href: `${CUSTOMER_SEGMENTS}/new/conditions`, text: "Define conditions for the new segment" }),
        h("a", { class: "button secondary", href: `${CUSTOMER_SEGMENTS}/new/empty`, text: "Create an empty segment" }))));
}

function textField(id, label, value, attrs) {
  return h("div", { class: "field", "data-field": id },
    h("label", { for: id, text: label }),
    h("input", { type: "text", id, name: id, value: value ?? "", ...(attrs || {}) }));
}

/// The empty (static) segment's form, or the definition form (`conditions`).
function customerSegmentForm(conditions) {
  const form = h("form", { class: "card", novalidate: true },
    textField("name", "Name", ""),
    h("div", { class: "field", "data-field": "note" },
      h("label", { for: "note", text: "Note" }),
      h("textarea", { id: "note", name: "note" })),
    textField("priority", "Priority", "0", { type: "number", min: "0" }),
    conditions ? h("div", { class: "field", "data-field": "flexi" },
      h("label", { for: "flexi", text: "Flexi" }),
      h("input", { type: "checkbox", id: "flexi", name: "flexi", checked: true }),
      h("p", { class: "readonly", text: "Flexi: members follow the data as it changes; otherwise a snapshot." })) : null,
    conditions ? h("div", { class: "field", "data-field": "criteria" },
      h("label", { for: "criteria", text: "Criteria" }),
      h("textarea", { id: "criteria", name: "criteria", rows: 8,
        text: '{"all": [{"attribute": "city", "op": "equals", "value": "Brno"}]}' }),
      h("p", { class: "readonly", text: "The criteria as JSON (docs/criteria.md); the builder grouped by the seed's families comes next." })) : null,
    textField("tags", "Tags", "", { placeholder: "comma-separated" }),
    h("div", { class: "buttons" },
      h("button", { type: "submit", text: conditions ? "Save" : "Create empty segment" }),
      h("a", { href: CUSTOMER_SEGMENTS, class: "button secondary", text: "Cancel" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: form.name.value,
      priority: Number(form.priority.value || 0),
      tags: form.tags.value.split(",").map((t) => t.trim()).filter(Boolean),
    };
    if (form.note.value.trim()) body.note = form.note.value;
    if (conditions) {
      body.kind = "conditional";
      body.flexi = form.flexi.checked;
      try {
        body.criteria = JSON.parse(form.criteria.value);
      } catch (_) {
        showErrors(form, new ApiError(422, { field: "criteria", reason: "is not JSON" }));
        return;
      }
    } else {
      body.kind = "static";
    }
    try {
      const saved = await api("POST", "/portal/v1/customer-segments", body);
      state.notice = `Created “${saved.name}”.`;
      navigate(`${CUSTOMER_SEGMENTS}/${encodeURIComponent(saved.id)}`);
    } catch (error) {
      showErrors(form, error);
    }
  });
  page(conditions ? "Define conditions for the new segment" : "Create an empty segment",
    "Loyalty & Administration › Customer segments list", form);
}

/// One customer segment: what it is, and a static segment's members,
/// added and removed here.
async function customerSegmentDetail(id) {
  const segment = await fresh(api("GET", `/portal/v1/customer-segments/${encodeURIComponent(id)}`));
  const editable = canEdit();
  const facts = h("dl", { class: "facts" },
    h("dt", { text: "Kind" }), h("dd", { text: segment.kind === "conditional" ? "Conditions" : "Static" }),
    h("dt", { text: "Flexi" }), h("dd", { text: segment.flexi ? "Yes" : "No" }),
    h("dt", { text: "Priority" }), h("dd", { text: segment.priority }),
    h("dt", { text: "Organization" }), h("dd", { text: segment.organization }),
    h("dt", { text: "Note" }), h("dd", { text: segment.note || "—" }),
    h("dt", { text: "Tags" }), h("dd", { text: (segment.tags || []).join(", ") || "—" }),
    segment.criteria ? h("dt", { text: "Criteria" }) : null,
    segment.criteria ? h("dd", {}, h("code", { text: JSON.stringify(segment.criteria) })) : null);
  const sections = [h("section", { class: "card", "aria-label": "Definition" }, facts)];
  if (segment.kind === "static") {
    const [page1, customers] = await fresh(Promise.all([
      api("GET", `/portal/v1/customer-segments/${encodeURIComponent(id)}/members?limit=1000`),
      api("GET", "/portal/v1/customers"),
    ]));
    const byId = new Map(customers.map((c) => [c.id, c]));
    const memberIds = new Set(page1.customer_ids);
    const rows = page1.customer_ids.map((cid) => h("tr", { "data-id": cid },
      h("td", { text: byId.has(cid) ? byId.get(cid).name : cid }),
      editable ? h("td", {}, h("button", { type: "button", class: "link danger-text", text: "Remove",
        "aria-label": `Remove ${byId.has(cid) ? byId.get(cid).name : cid}`,
        onclick: async () => {
          await api("DELETE", `/portal/v1/customer-segments/${encodeURIComponent(id)}/members/${encodeURIComponent(cid)}`);
          state.notice = "Removed the member.";
          route();
        } })) : null));
    const candidates = customers.filter((c) => !memberIds.has(c.id)).sort((a, b) => a.name.localeCompare(b.name));
    const add = h("form", { class: "add-member", novalidate: true },
      h("div", { class: "field", "data-field": "customer_id" },
        h("label", { for: "new-member", text: "Customer" }),
        h("select", { id: "new-member" }, candidates.map((c) => h("option", { value: c.id, text: c.name })))),
      h("button", { type: "submit", text: "Add member" }));
    add.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("PUT", `/portal/v1/customer-segments/${encodeURIComponent(id)}/members/${encodeURIComponent(add.querySelector("select").value)}`);
        state.notice = "Added the member.";
        route();
      } catch (error) {
        showErrors(add, error);
      }
    });
    sections.push(h("section", { class: "card", "aria-label": "Members" },
      h("h2", { text: `Members (${page1.customer_ids.length}${page1.next_after ? "+" : ""})` }),
      h("table", { "aria-label": "Members" }, h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { text: "No members yet." })))),
      editable && candidates.length ? add : null));
  }
  if (editable) {
    sections.push(h("div", { class: "buttons" }, h("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
      if (!(await confirmDelete("Delete customer segment", `Delete “${segment.name}”?`))) return;
      await api("DELETE", `/portal/v1/customer-segments/${encodeURIComponent(id)}`);
      state.notice = `Deleted “${segment.name}”.`;
      navigate(CUSTOMER_SEGMENTS);
    } })));
  }
  page(segment.name, "Loyalty & Administration › Customer segments list", ...sections);
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
  window.addEventListener("hashchange", route);
  route();
}

start();
