// The criteria builder of the customer segment definition form: groups
// (all / any, optionally excluded) of rows (family, criterion, operator,
// value), the criteria grouped by the seed's families. It writes the
// criteria JSON of docs/criteria.md and reads it back for editing. Which
// attributes exist, their types and the operators each type takes come
// from core (the page's configuration); every rule is the API's, and its
// 422 path is shown at the row or group it names.

import { config, h } from "./common.js";

const VOCABULARY = config.criteria;
const TYPE_OF = new Map(VOCABULARY.attributes.map((a) => [a.code, a.type]));
const MEASURE_TYPE = new Map(VOCABULARY.measures.map((m) => [m.code, m.type]));

const ATTRIBUTE_LABELS = {
  name: "Name", segment_id: "Marketing segment", status_id: "Status", source_id: "Source",
  industry_id: "Industry", channel_id: "Channel", last_visit: "Last visit",
  gender: "Gender", city: "City", postal_code: "Postal code", language: "Language",
  birth_date: "Birth date", age: "Age", contact_source: "Contact source",
  parent_id: "Parent account", loyalty_member: "Loyalty member", loyalty_tier: "Loyalty tier",
  loyalty_points: "Loyalty points", active_vouchers: "Active vouchers",
  "consent.email": "E-mail consent", "consent.sms": "SMS consent",
  "consent.phone": "Phone consent", "consent.post": "Post consent",
  purchase_count: "Number of purchases", total_spend: "Total spend",
  last_purchase: "Last purchase", rfm_recency: "Recency score (1–5)",
  rfm_frequency: "Frequency score (1–5)", rfm_monetary: "Monetary score (1–5)",
  business_unit_id: "Home business unit", partner_id: "Home partner",
  "cart.open": "Has an open cart", "cart.value": "Cart value", "cart.items": "Items in the cart",
  "cart.age": "Days since the cart changed", "cart.abandoned": "Cart abandoned",
  "cart.updated_on": "Cart last changed on",
};
const OP_LABELS = {
  equals: "is", in: "is one of", between: "between", before: "before", after: "after",
  within_last_days: "in the last … days", exists: "has a value",
};
const MEASURE_LABELS = { count: "Number of purchases", sum: "Spend", last_date: "Last purchase date" };
const KIND_LABELS = { in_store: "In store", online: "Online", click_and_collect: "Click & Collect" };
const EVENT_LABELS = { visit: "Visit", complaint: "Complaint", event_attended: "Event attended" };
const ACTION_LABELS = { received: "received", opened: "opened", clicked: "clicked" };
const KEY_LABELS = {
  value: "Value", values: "Values", min: "Minimum", max: "Maximum", from: "From", to: "To",
  days: "Days", op: "Operator", window: "Period", last_days: "Days", kinds: "Purchase types",
  business_units: "Business units", partners: "Partners", custom: "Detail", type: "Type",
  in_segment: "Customer segment", has_badge: "Badge", in_audience: "Audience",
  campaign: "E-mail campaign", action: "Action", event: "Event", all: "Group", any: "Group",
};

// Criteria, by what a row's node is.
const attribute = (code) => ({
  label: ATTRIBUTE_LABELS[code] || code,
  make: () => withOp({ attribute: code }, TYPE_OF.get(code), "equals"),
});
const purchases = (label, preset) => ({
  label,
  preset,
  make: () => withOp({
    purchases: preset.measure || "count",
    ...(preset.kinds ? { kinds: [...preset.kinds] } : {}),
    ...(preset.at ? { [preset.at]: [] } : {}),
  }, MEASURE_TYPE.get(preset.measure || "count"), "between"),
});
const reference = (key, label, picker) => ({ label, picker, key, make: () => ({ [key]: "" }) });

const SEGMENT_REFERENCES = [
  reference("in_segment", "Member of customer segment", "segments"),
  reference("has_badge", "Has badge", "badges"),
];
const AUDIENCE_REFERENCES = [reference("in_audience", "Was in audience", "audiences")];

/// The seed's criteria families, in its order (account fields first).
const FAMILIES = [
  ["Account fields", ["name", "segment_id", "status_id", "source_id", "industry_id", "channel_id", "last_visit"].map(attribute)],
  ["Consent types criteria", ["consent.email", "consent.sms", "consent.phone", "consent.post"].map(attribute)],
  ["Settings of Partners and Business Units", [
    attribute("business_unit_id"), attribute("partner_id"),
    purchases("Purchases at business units", { at: "business_units" }),
    purchases("Purchases at partners", { at: "partners" }),
  ]],
  ["Socio-demographic criteria", ["gender", "city", "postal_code", "language", "birth_date", "age"].map(attribute)],
  ["Purchasing behavior criteria", [
    ...["purchase_count", "total_spend", "last_purchase"].map(attribute),
    purchases("Purchases in a period", {}),
  ]],
  ["RFM criteria", ["rfm_recency", "rfm_frequency", "rfm_monetary"].map(attribute)],
  ["Shopping cart criteria", ["cart.open", "cart.value", "cart.items", "cart.age", "cart.abandoned", "cart.updated_on"].map(attribute)],
  ["Loyalty program criteria", ["loyalty_member", "loyalty_tier", "loyalty_points"].map(attribute)],
  ["Voucher criteria", [attribute("active_vouchers")]],
  ["Contact sources criteria", [attribute("contact_source")]],
  ["Purchase transaction type criteria", [purchases("Purchases of types", { kinds: ["in_store"] })]],
  ["Select customers by previous audiences", AUDIENCE_REFERENCES],
  ["Exclusion of customers according to previous audiences", AUDIENCE_REFERENCES, true],
  ["Selection of customers by customer segments and badges", SEGMENT_REFERENCES],
  ["Exclusion of customers according by customer segments and badges", SEGMENT_REFERENCES, true],
  ["Additional details criteria", [{ label: "Additional detail", make: () => ({ custom: "", type: "text", op: "equals", value: "" }) }]],
  ["Selection of customers by previous e-mail campaigns", [{ label: "E-mail campaign", picker: "campaigns", make: () => ({ campaign: "", action: "received" }) }]],
  ["Selection by Click&Collect Criteria", [purchases("Click & Collect purchases", { kinds: ["click_and_collect"], fixedKinds: true })]],
  ["Select by account relations", [attribute("parent_id")]],
  ["Events Criteria", [{ label: "Event", make: () => ({ event: "visit" }) }]],
].map(([name, criteria, excludes]) => ({ name, criteria, excludes: Boolean(excludes) }));

/// The family and criterion a node (without its `not`) is shown under.
function placeOf(node, excluded) {
  const find = (familyName, label) => {
    const family = FAMILIES.find((f) => f.name === familyName);
    return { family, criterion: family.criteria.find((c) => c.label === label) || family.criteria[0] };
  };
  if ("attribute" in node) {
    const family = FAMILIES.find((f) => f.criteria.some((c) => c.make().attribute === node.attribute));
    if (family) return { family, criterion: family.criteria.find((c) => c.make().attribute === node.attribute) };
  }
  if ("purchases" in node) {
    if (node.business_units) return find("Settings of Partners and Business Units", "Purchases at business units");
    if (node.partners) return find("Settings of Partners and Business Units", "Purchases at partners");
    if (node.kinds && node.kinds.length === 1 && node.kinds[0] === "click_and_collect") {
      return find("Selection by Click&Collect Criteria");
    }
    if (node.kinds) return find("Purchase transaction type criteria");
    return find("Purchasing behavior criteria", "Purchases in a period");
  }
  const exclusion = (yes, no) => (excluded ? yes : no);
  if ("in_segment" in node || "has_badge" in node) {
    return find(exclusion("Exclusion of customers according by customer segments and badges",
      "Selection of customers by customer segments and badges"),
    "in_segment" in node ? "Member of customer segment" : "Has badge");
  }
  if ("in_audience" in node) {
    return find(exclusion("Exclusion of customers according to previous audiences", "Select customers by previous audiences"));
  }
  if ("campaign" in node) return find("Selection of customers by previous e-mail campaigns");
  if ("custom" in node) return find("Additional details criteria");
  if ("event" in node) return find("Events Criteria");
  return find("Socio-demographic criteria", "City");
}

/// `node` with `op` (or the type's first) and its default operands.
function withOp(node, type, op) {
  const ops = VOCABULARY.ops[type];
  const chosen = ops.includes(op) ? op : ops[0];
  for (const key of ["op", "value", "values", "min", "max", "from", "to", "days"]) delete node[key];
  node.op = chosen;
  if (chosen === "equals") node.value = type === "boolean" ? true : type === "text" ? "" : undefined;
  if (chosen === "within_last_days") node.days = 30;
  return node;
}

/// The type of the values a row's node compares.
function typeOf(node) {
  if ("attribute" in node) return TYPE_OF.get(node.attribute);
  if ("purchases" in node) return MEASURE_TYPE.get(node.purchases);
  if ("custom" in node) return node.type;
  return null;
}

let ids = 0;
const uid = (what) => `cb-${what}-${++ids}`;

/// A labelled control: `<div><label>..</label>control</div>`.
function labelled(label, control) {
  control.id = control.id || uid("c");
  return h("div", { class: "cb-control" }, h("label", { for: control.id, text: label }), control);
}

function select(options, current, onchange, attrs) {
  return h("select", { ...(attrs || {}), onchange: (e) => onchange(e.target.value) },
    options.map(([value, label]) => h("option", { value, text: label, selected: String(current) === String(value) })));
}

function input(type, value, oninput, attrs) {
  return h("input", { type, value: value ?? "", ...(attrs || {}), oninput: (e) => oninput(e.target.value) });
}

const number = (text) => (text.trim() === "" ? undefined : Number(text));
const list = (text, convert) => text.split(",").map((t) => t.trim()).filter(Boolean).map(convert);

/// Builds the builder. `initial`: criteria JSON or null; `pickers`:
/// {segments: [[id, name]], badges, audiences, campaigns, business_units,
/// partners, marketing_segments: [[id, name]]}; `onChange` after every
/// edit. Returns {element, toJson(), showError(field, reason), clearErrors()}.
export function criteriaBuilder({ initial, pickers, onChange }) {
  let top = initial ? groupFrom(initial) : { match: "all", exclude: false, items: [newRow()] };
  // A single node or an excluded group: the top group holds it.
  if (top.row || top.exclude) top = { match: "all", exclude: false, items: [top] };
  const element = h("div", { class: "criteria-builder" });
  let paths = [];
  const changed = () => onChange && onChange();
  const redraw = () => { element.replaceChildren(groupView(top, true)); changed(); };

  function newRow() {
    const family = FAMILIES.find((f) => f.name === "Socio-demographic criteria");
    return { row: true, family, criterion: family.criteria[1], node: family.criteria[1].make(), exclude: false };
  }

  function groupFrom(node, exclude = false) {
    if (node && typeof node === "object" && "not" in node) return groupFrom(node.not, !exclude);
    if (node && (node.all || node.any)) {
      const match = node.all ? "all" : "any";
      return { match, exclude, items: node[match].map((child) => groupFrom(child)) };
    }
    const { family, criterion } = placeOf(node, exclude);
    return { row: true, family, criterion, node: JSON.parse(JSON.stringify(node)), exclude };
  }

  function groupView(group, isTop) {
    const legend = isTop ? "Customers in the segment" : "Group";
    const view = h("fieldset", { class: isTop ? "cb-group cb-top" : "cb-group" },
      h("legend", { text: legend }),
      h("div", { class: "cb-row-controls" },
        labelled("Match", select([["all", "all of the following"], ["any", "any of the following"]], group.match,
          (v) => { group.match = v; changed(); })),
        isTop ? null : excludeBox(group),
        isTop ? null : h("button", { type: "button", class: "link danger-text", text: "Remove group",
          onclick: () => { remove(group); } })),
      group.items.map((item, i) => (item.row ? rowView(item, i) : groupView(item, false))),
      h("div", { class: "buttons cb-add" },
        h("button", { type: "button", class: "secondary", text: "Add criterion",
          onclick: () => { group.items.push(newRow()); redraw(); } }),
        h("button", { type: "button", class: "secondary", text: "Add group",
          onclick: () => { group.items.push({ match: "any", exclude: false, items: [newRow()] }); redraw(); } })));
    group.el = view;
    return view;
  }

  function remove(item) {
    const walk = (group) => {
      const at = group.items.indexOf(item);
      if (at >= 0) { group.items.splice(at, 1); return true; }
      return group.items.some((child) => !child.row && walk(child));
    };
    walk(top);
    redraw();
  }

  function excludeBox(item) {
    const box = h("input", { type: "checkbox", checked: item.exclude, onchange: (e) => { item.exclude = e.target.checked; changed(); } });
    box.id = uid("exclude");
    return h("div", { class: "cb-control cb-check" }, box, h("label", { for: box.id, text: "Exclude" }));
  }

  function rowView(row, index) {
    const view = h("div", { class: "cb-row", role: "group", "aria-label": `Criterion ${index + 1}` },
      h("div", { class: "cb-row-controls" },
        labelled("Family", select(FAMILIES.map((f, i) => [i, f.name]), FAMILIES.indexOf(row.family), (v) => {
          row.family = FAMILIES[Number(v)];
          row.criterion = row.family.criteria[0];
          row.node = row.criterion.make();
          row.exclude = row.family.excludes;
          redraw();
        })),
        labelled("Criterion", select(row.family.criteria.map((c, i) => [i, c.label]),
          row.family.criteria.indexOf(row.criterion), (v) => {
            row.criterion = row.family.criteria[Number(v)];
            row.node = row.criterion.make();
            redraw();
          })),
        nodeControls(row),
        excludeBox(row),
        h("button", { type: "button", class: "link danger-text", text: "Remove", "aria-label": `Remove criterion ${index + 1}`,
          onclick: () => remove(row) })));
    row.el = view;
    return view;
  }

  /// The controls of what a row tests, by the kind of its node.
  function nodeControls(row) {
    const node = row.node;
    const set = (key, value) => { if (value === undefined) delete node[key]; else node[key] = value; changed(); };
    const parts = [];
    const picker = (key, label, name) => {
      const options = (pickers[name] || []).map((v) => (Array.isArray(v) ? v : [v, v]));
      if (!options.some(([value]) => value === node[key])) options.unshift([node[key] || "", node[key] || "— choose —"]);
      return labelled(label, select(options, node[key], (v) => set(key, v)));
    };
    if ("in_segment" in node) parts.push(picker("in_segment", "Customer segment", "segments"));
    if ("has_badge" in node) parts.push(picker("has_badge", "Badge", "badges"));
    if ("in_audience" in node) parts.push(picker("in_audience", "Audience", "audiences"));
    if ("campaign" in node) {
      parts.push(picker("campaign", "E-mail campaign", "campaigns"));
      parts.push(labelled("Action", select(VOCABULARY.campaign_actions.map((a) => [a, ACTION_LABELS[a] || a]), node.action, (v) => set("action", v))));
    }
    if ("event" in node) {
      parts.push(labelled("Event", select(VOCABULARY.event_kinds.map((k) => [k, EVENT_LABELS[k] || k]), node.event, (v) => set("event", v))));
      parts.push(windowControls(node, set));
    }
    if ("custom" in node) {
      parts.push(labelled("Detail", input("text", node.custom, (v) => set("custom", v))));
      parts.push(labelled("Type", select(VOCABULARY.types.map((t) => [t, t]), node.type, (v) => {
        node.type = v;
        withOp(node, v, node.op);
        redraw();
      })));
    }
    if ("purchases" in node) {
      const preset = row.criterion.preset || {};
      parts.push(labelled("Measure", select(VOCABULARY.measures.map((m) => [m.code, MEASURE_LABELS[m.code] || m.code]), node.purchases, (v) => {
        node.purchases = v;
        withOp(node, MEASURE_TYPE.get(v), node.op);
        redraw();
      })));
      parts.push(windowControls(node, set));
      if (node.kinds && !preset.fixedKinds) {
        parts.push(h("fieldset", { class: "cb-kinds" }, h("legend", { text: "Purchase types" }),
          VOCABULARY.transaction_kinds.map((kind) => {
            const box = h("input", { type: "checkbox", id: uid("kind"), checked: node.kinds.includes(kind), onchange: (e) => {
              node.kinds = VOCABULARY.transaction_kinds.filter((k) => (k === kind ? e.target.checked : node.kinds.includes(k)));
              changed();
            } });
            return h("span", { class: "cb-check" }, box, h("label", { for: box.id, text: KIND_LABELS[kind] || kind }));
          })));
      }
      for (const [key, label, name] of [["business_units", "Business units", "business_units"], ["partners", "Partners", "partners"]]) {
        if (!node[key]) continue;
        const options = [...new Set([...(pickers[name] || []), ...node[key]])];
        parts.push(labelled(label, h("select", { multiple: true, size: Math.min(4, Math.max(2, options.length)), onchange: (e) => {
          node[key] = [...e.target.selectedOptions].map((o) => o.value);
          changed();
        } }, options.map((v) => h("option", { value: v, text: v, selected: node[key].includes(v) })))));
      }
    }
    const type = typeOf(node);
    if (type) parts.push(testControls(node, type, set));
    return h("div", { class: "cb-test" }, parts);
  }

  function windowControls(node, set) {
    const kind = !node.window ? "all" : "last_days" in node.window ? "last" : "between";
    const controls = [labelled("Period", select([["all", "all time"], ["last", "in the last … days"], ["between", "between dates"]], kind, (v) => {
      node.window = v === "all" ? undefined : v === "last" ? { last_days: 90 } : { from: "", to: "" };
      if (!node.window) delete node.window;
      redraw();
    }))];
    if (kind === "last") {
      controls.push(labelled("Days", input("number", node.window.last_days, (v) => { node.window.last_days = number(v); changed(); }, { min: 1 })));
    } else if (kind === "between") {
      controls.push(labelled("From", input("date", node.window.from, (v) => { node.window.from = v; changed(); })));
      controls.push(labelled("To", input("date", node.window.to, (v) => { node.window.to = v; changed(); })));
    }
    return h("div", { class: "cb-window" }, controls);
  }

  /// Operator and operands for values of `type`.
  function testControls(node, type, set) {
    const ops = VOCABULARY.ops[type].map((op) => [op, op === "exists" && node.attribute && node.attribute.startsWith("consent.") ? "is granted" : OP_LABELS[op] || op]);
    const parts = [labelled("Operator", select(ops, node.op, (v) => { withOp(node, type, v); redraw(); }))];
    const datalist = (name) => {
      const values = (pickers[name] || []).map((v) => (Array.isArray(v) ? v : [v, v]));
      if (!values.length) return {};
      const id = uid("list");
      parts.push(h("datalist", { id }, values.map(([value, label]) => h("option", { value, label }))));
      return { list: id };
    };
    const hint = { business_unit_id: "business_units", partner_id: "partners", segment_id: "marketing_segments" }[node.attribute];
    const typed = type === "number" ? "number" : type === "date" ? "date" : "text";
    const convert = type === "number" ? number : (v) => v;
    if (node.op === "equals") {
      if (type === "boolean") {
        parts.push(labelled("Value", select([["true", "yes"], ["false", "no"]], String(node.value), (v) => set("value", v === "true"))));
      } else {
        parts.push(labelled("Value", input(typed, node.value, (v) => set("value", convert(v)), hint ? datalist(hint) : {})));
      }
    } else if (node.op === "in") {
      parts.push(labelled("Values (comma-separated)", input("text", (node.values || []).join(", "),
        (v) => set("values", list(v, type === "number" ? Number : (x) => x)))));
    } else if (node.op === "between" && type === "number") {
      parts.push(labelled("Minimum", input("number", node.min, (v) => set("min", number(v)))));
      parts.push(labelled("Maximum", input("number", node.max, (v) => set("max", number(v)))));
    } else if (node.op === "between") {
      parts.push(labelled("From", input("date", node.from, (v) => set("from", v))));
      parts.push(labelled("To", input("date", node.to, (v) => set("to", v))));
    } else if (node.op === "before" || node.op === "after") {
      parts.push(labelled("Date", input("date", node.value, (v) => set("value", v))));
    } else if (node.op === "within_last_days") {
      parts.push(labelled("Days", input("number", node.days, (v) => set("days", number(v)), { min: 1 })));
    }
    return h("div", { class: "cb-operands" }, parts);
  }

  /// The criteria JSON, noting which element each path belongs to.
  function toJson() {
    paths = [];
    const walk = (item, path) => {
      const inner = item.exclude ? `${path}.not` : path;
      let node;
      if (item.row) {
        node = JSON.parse(JSON.stringify(item.node));
      } else {
        node = { [item.match]: item.items.map((child, i) => walk(child, `${inner}.${item.match}[${i}]`)) };
      }
      paths.push([path, item.el]);
      return item.exclude ? { not: node } : node;
    };
    return walk(top, "criteria");
  }

  function clearErrors() {
    for (const old of element.querySelectorAll(".field-error")) old.remove();
  }

  /// Shows `reason` at the row or group the API's `field` path names;
  /// false if no part of the builder has that path.
  function showError(field, reason) {
    clearErrors();
    const fits = paths.filter(([path, el]) => el && (field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`)));
    if (!fits.length) return false;
    const [path, el] = fits.reduce((a, b) => (b[0].length > a[0].length ? b : a));
    const rest = field.slice(path.length).split(/[.[\]]/).filter((k) => k && !/^\d+$/.test(k) && k !== "not");
    const key = rest.length ? rest[rest.length - 1] : null;
    const message = `${key ? KEY_LABELS[key] || key : "This criterion"} ${reason}`;
    el.append(h("p", { class: "field-error", role: "alert", text: message }));
    el.scrollIntoView({ block: "nearest" });
    return true;
  }

  element.replaceChildren(groupView(top, true));
  toJson();
  return { element, toJson, showError, clearErrors };
}
