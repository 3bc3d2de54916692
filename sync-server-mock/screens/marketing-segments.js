// Settings → Sales → Marketing Segments: the table, "+ Add" and "Edit"
// (the seed's four fields), Delete with a confirmation.

import {
  api, canEdit, config, confirmDelete, fresh, frequencyLabel, h, inLanguage, navigate, page,
  refresh, showErrors, state,
} from "./common.js";

export const SEGMENTS = "#/settings/sales/marketing-segments";

export async function segmentsList() {
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
  refresh();
}

function languageRow(lang, text, editable) {
  const id = `name-${lang}`;
  return h("div", { class: "lang-row", "data-lang": lang },
    h("label", { for: id, text: `Marketing Segment (${lang})` }),
    h("input", { type: "text", id, name: id, lang, value: text || "", readonly: !editable }));
}

export async function segmentForm(id) {
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
