// Loyalty & Administration → Customer segments list: the list (name,
// kind, Flexi, priority, members, tags), "Create new" with the seed's two
// possibilities, the empty segment's form and the definition form (with
// the criteria builder and the member count before saving), a segment's
// page with its static members added and removed, Edit and Delete.

import {
  api, canEdit, confirmDelete, fresh, h, inLanguage, navigate, page, refresh, showErrors, state,
} from "./common.js";
import { criteriaBuilder } from "./criteria-builder.js";

export const CUSTOMER_SEGMENTS = "#/loyalty/customer-segments";
const CRUMBS = "Loyalty & Administration › Customer segments list";

/// What a conditional segment's definition selects today, counted by the
/// server with core (`null` when the user may not ask or it fails).
function memberCount(segment) {
  return api("POST", "/portal/v1/customer-segments/preview", {
    organization: segment.organization, criteria: segment.criteria,
  }).then((answer) => answer.member_count, () => null);
}

export async function customerSegmentsList() {
  const segments = await fresh(api("GET", "/portal/v1/customer-segments"));
  // Static segments list their members; a conditional segment's count is
  // evaluated by core on the server (managers and admins).
  const counts = await fresh(Promise.all(segments.map((s) => {
    if (s.kind === "static") {
      return api("GET", `/portal/v1/customer-segments/${encodeURIComponent(s.id)}/members?limit=1000`)
        .then((m) => `${m.customer_ids.length}${m.next_after ? "+" : ""}`, () => "—");
    }
    return canEdit() ? memberCount(s).then((n) => (n === null ? "—" : String(n))) : "—";
  })));
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
export function customerSegmentChoice() {
  page("Create new customer segment", CRUMBS,
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
export function customerSegmentForm(conditions) {
  return definitionForm(null, conditions);
}

/// Editing segment `id` in the form of its kind.
export async function customerSegmentEdit(id) {
  const segment = await fresh(api("GET", `/portal/v1/customer-segments/${encodeURIComponent(id)}`));
  return definitionForm(segment, segment.kind === "conditional");
}

async function definitionForm(segment, conditions) {
  let builder = null;
  const count = h("output", { id: "member-count", "aria-live": "polite", text: "…" });
  let asked = 0;
  let timer = null;
  // The member count follows the criteria as they are edited (debounced;
  // an answer to an older question is dropped).
  const countMembers = async () => {
    const mine = ++asked;
    count.textContent = "…";
    try {
      const answer = await api("POST", "/portal/v1/customer-segments/preview", {
        organization: segment ? segment.organization : "ALL", criteria: builder.toJson(),
      });
      if (mine !== asked) return;
      builder.clearErrors();
      count.textContent = String(answer.member_count);
    } catch (error) {
      if (mine !== asked) return;
      count.textContent = "—";
      const field = error.body && error.body.field;
      if (!(field && builder.showError(field, error.body.reason))) count.textContent = `— (${error.message})`;
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(countMembers, 400);
  };
  if (conditions) {
    const [segments, values, marketing] = await fresh(Promise.all([
      api("GET", "/portal/v1/customer-segments"),
      api("GET", "/portal/v1/criteria-values"),
      api("GET", "/portal/v1/marketing-segments"),
    ]));
    builder = criteriaBuilder({
      initial: segment ? segment.criteria : null,
      pickers: {
        ...values,
        segments: segments.filter((s) => !segment || s.id !== segment.id).map((s) => [s.id, s.name]),
        marketing_segments: marketing.map((s) => [s.id, inLanguage(s.name)]),
      },
      onChange: schedule,
    });
  }
  const form = h("form", { class: conditions ? "card wide" : "card", novalidate: true },
    textField("name", "Name", segment ? segment.name : ""),
    h("div", { class: "field", "data-field": "note" },
      h("label", { for: "note", text: "Note" }),
      h("textarea", { id: "note", name: "note", text: segment ? segment.note || "" : "" })),
    conditions ? h("div", { class: "field", "data-field": "flexi" },
      h("input", { type: "checkbox", id: "flexi", name: "flexi", checked: segment ? segment.flexi : true }),
      h("label", { for: "flexi", class: "inline", text: "Flexi" }),
      h("p", { class: "readonly", text: "A Flexi segment's members follow the data as it changes; otherwise a snapshot is taken." })) : null,
    textField("priority", "Priority", segment ? String(segment.priority) : "0", { type: "number", min: "0" }),
    conditions ? h("div", { class: "field", "data-field": "criteria" },
      h("p", { class: "field-label", text: "Criteria" }),
      builder.element,
      h("p", { class: "member-count" },
        h("label", { for: "member-count", text: "Members" }), " ", count, " ",
        h("button", { type: "button", class: "link", text: "Count again", onclick: countMembers }))) : null,
    textField("tags", "Tags", segment ? (segment.tags || []).join(", ") : "", { placeholder: "comma-separated" }),
    h("div", { class: "buttons" },
      h("button", { type: "submit", text: conditions || segment ? "Save" : "Create empty segment" }),
      h("a", { href: segment ? `${CUSTOMER_SEGMENTS}/${encodeURIComponent(segment.id)}` : CUSTOMER_SEGMENTS,
        class: "button secondary", text: "Cancel" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: form.name.value,
      priority: Number(form.priority.value || 0),
      tags: form.tags.value.split(",").map((t) => t.trim()).filter(Boolean),
      kind: conditions ? "conditional" : "static",
    };
    if (segment) body.organization = segment.organization;
    if (form.note.value.trim()) body.note = form.note.value;
    if (conditions) {
      body.flexi = form.flexi.checked;
      body.criteria = builder.toJson();
    }
    try {
      const saved = segment
        ? await api("PUT", `/portal/v1/customer-segments/${encodeURIComponent(segment.id)}`, body)
        : await api("POST", "/portal/v1/customer-segments", body);
      state.notice = `${segment ? "Saved" : "Created"} “${saved.name}”.`;
      navigate(`${CUSTOMER_SEGMENTS}/${encodeURIComponent(saved.id)}`);
    } catch (error) {
      const field = error.body && error.body.field;
      if (builder && field && field.startsWith("criteria") && builder.showError(field, error.body.reason)) return;
      showErrors(form, error);
    }
  });
  page(segment ? `Edit ${segment.name}` : conditions ? "Define conditions for the new segment" : "Create an empty segment",
    conditions ? `${CRUMBS} › Customer segment definition` : CRUMBS, form);
  if (conditions) countMembers();
}

/// One customer segment: what it is, and a static segment's members,
/// added and removed here.
export async function customerSegmentDetail(id) {
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
          refresh();
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
        refresh();
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
    sections.push(h("div", { class: "buttons" },
      h("a", { class: "button", href: `${CUSTOMER_SEGMENTS}/${encodeURIComponent(id)}/edit`, text: "Edit" }),
      h("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
      if (!(await confirmDelete("Delete customer segment", `Delete “${segment.name}”?`))) return;
      await api("DELETE", `/portal/v1/customer-segments/${encodeURIComponent(id)}`);
      state.notice = `Deleted “${segment.name}”.`;
      navigate(CUSTOMER_SEGMENTS);
    } })));
  }
  page(segment.name, "Loyalty & Administration › Customer segments list", ...sections);
}
