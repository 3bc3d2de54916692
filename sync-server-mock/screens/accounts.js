// Accounts: a searchable list, and Account Overview → More Details →
// Marketing Information → Segment, where a manager or an admin assigns the
// segment (a technician sees it read-only).

import { api, canEdit, fresh, h, inLanguage, page, refresh, showErrors, state } from "./common.js";

export async function accountsList() {
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

export async function accountOverview(id) {
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
      refresh();
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
