// virtcompat dashboard: fetches /api/v1/stats/* and /api/v1/compat and draws them.
// Every value from the server is put into the page as text (never as HTML).
"use strict";

(function () {
  const API = "/api/v1";
  const CAPS = ["vtx", "vtd", "slat", "hvm", "pci_passthrough"];
  const CAP_LABEL = { vtx: "VT-x / AMD-V", vtd: "VT-d / AMD-Vi", slat: "EPT / NPT", hvm: "HVM", pci_passthrough: "PCI passthrough" };
  const STATUSES = ["supported", "disabled", "masked", "conflict", "unknown", "unsupported"];
  const SVG = "http://www.w3.org/2000/svg";

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, ...children) {
    const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === "class") node.setAttribute("class", v);
      else if (k.startsWith("data-") || k.startsWith("aria-") || node instanceof SVGElement) node.setAttribute(k, String(v));
      else node[k] = v;
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function getJSON(path) {
    const resp = await fetch(API + path, { headers: { Accept: "application/json" } });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const err = new Error(body.detail || body.title || ("HTTP " + resp.status));
      err.body = body;
      throw err;
    }
    return body;
  }

  // Every page of a list (the list contract: items, total, page, per_page).
  async function getAll(path) {
    const sep = path.includes("?") ? "&" : "?";
    const first = await getJSON(`${path}${sep}per_page=200&page=1`);
    const items = [...first.items];
    for (let page = 2; items.length < first.total && page <= 50; page++) {
      const next = await getJSON(`${path}${sep}per_page=200&page=${page}`);
      if (!next.items.length) break;
      items.push(...next.items);
    }
    return { ...first, items };
  }

  function fmt(n) { return Number(n || 0).toLocaleString("en"); }

  // -- summary ----------------------------------------------------------------------------
  function renderSummary(s) {
    const tiles = [
      ["Probes", s.probes.total, "probes-total"],
      ["Last 24 h", s.probes.last_24h, "probes-24h"],
      ["Last 30 days", s.probes.last_30d, "probes-30d"],
      ["Boards", s.catalogue.boards, "boards"],
      ["Chipsets", s.catalogue.chipsets, "chipsets"],
      ["CPUs", s.catalogue.cpus, "cpus"],
      ["Sources", s.catalogue.sources, "sources"],
    ];
    $("summary").replaceChildren(...tiles.map(([label, value, key]) =>
      el("div", { "data-key": key }, el("dt", {}, label), el("dd", {}, fmt(value)))));
  }

  // -- trend chart ------------------------------------------------------------------------
  function renderTrend(series, cap) {
    const items = series.items;
    // Drawn at the container's own pixel width so labels stay readable on a phone.
    const W = Math.max(300, Math.min(1200, $("chart").clientWidth || 960));
    const H = W < 600 ? 200 : 260, left = 40, right = 8, top = 12, bottom = 34;
    const max = Math.max(1, ...items.map((p) => p.probes));
    const step = (W - left - right) / Math.max(1, items.length);
    const barW = Math.max(2, step * 0.72);
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    const svg = el("svg:svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title chart-desc", "data-bucket": series.bucket, "data-capability": cap });
    const total = items.reduce((a, p) => a + p.probes, 0);
    svg.append(el("svg:title", { id: "chart-title" }, `${CAP_LABEL[cap]} verdicts of probes per ${series.bucket}`));
    svg.append(el("svg:desc", { id: "chart-desc" }, `${fmt(total)} probes from ${series.from} to ${series.to}; the largest ${series.bucket} had ${fmt(max)}.`));
    for (const frac of [0, 0.5, 1]) {
      const v = Math.round(max * frac);
      svg.append(el("svg:line", { class: "axis", x1: left, x2: W - right, y1: y(v), y2: y(v) }));
      svg.append(el("svg:text", { x: left - 6, y: y(v) + 4, "text-anchor": "end" }, fmt(v)));
    }
    const every = Math.max(1, Math.ceil(items.length / Math.max(2, Math.floor(W / 90))));
    items.forEach((p, i) => {
      const x = left + i * step + (step - barW) / 2;
      const g = el("svg:g", { class: "point", "data-period": p.period, "data-probes": p.probes });
      const counts = p.capabilities[cap] || {};
      let base = 0;
      const parts = [];
      for (const status of STATUSES) {
        const n = counts[status] || 0;
        if (!n) continue;
        g.append(el("svg:rect", { class: "fill-" + status, x, width: barW, y: y(base + n), height: y(base) - y(base + n), "data-status": status, "data-count": n }));
        base += n;
        parts.push(`${n} ${status}`);
      }
      g.append(el("svg:title", {}, `${p.period}: ${p.probes} probes${parts.length ? " (" + parts.join(", ") + ")" : ""}`));
      svg.append(g);
      if (i % every === 0) {
        svg.append(el("svg:text", { x: x + barW / 2, y: H - bottom + 16, "text-anchor": "middle" }, p.period.slice(series.bucket === "month" ? 0 : 5, series.bucket === "month" ? 7 : 10)));
      }
    });
    $("chart").replaceChildren(svg);
    $("chart-caption").textContent = `${CAP_LABEL[cap]}: ${fmt(total)} probes per ${series.bucket}, ${series.from} to ${series.to}. Hover or focus a bar for its counts.`;
    $("legend").replaceChildren(...STATUSES.map((s) => el("li", { class: "st-" + s }, el("span", {}, s))));
  }

  async function loadTrend() {
    const cap = $("trend-cap").value;
    const bucket = $("trend-bucket").value;
    renderTrend(await getJSON(`/stats/probes?bucket=${encodeURIComponent(bucket)}&per_page=200`), cap);
  }

  // -- support matrix ---------------------------------------------------------------------
  function renderMatrix(matrix) {
    const rows = matrix.items.map((r) => {
      const chip = r.chipset ? r.chipset.name : "—";
      const tr = el("tr", { "data-board": r.board.slug, "data-search": `${r.board.vendor} ${r.board.model} ${chip}`.toLowerCase() },
        el("th", { scope: "row" }, r.board.model, el("small", {}, r.board.vendor)),
        el("td", {}, chip));
      for (const cap of CAPS) {
        const c = r.capabilities[cap];
        const probes = c.probes || { confirm: 0, contradict: 0 };
        const meta = [c.confidence ? c.confidence + " confidence" : null, (probes.confirm || probes.contradict) ? `✓${probes.confirm} ✗${probes.contradict}` : null].filter(Boolean).join(" · ");
        tr.append(el("td", {
          class: "cell st-" + c.status, "data-cap": cap, "data-status": c.status,
          "data-confirm": probes.confirm, "data-contradict": probes.contradict,
          title: `${CAP_LABEL[cap]}: ${c.status}${c.rule ? " (" + c.rule + ")" : ""}; probes: ${probes.confirm} confirm, ${probes.contradict} contradict, ${probes.inconclusive || 0} inconclusive`,
        }, el("span", { class: "s" }, c.status), meta ? el("span", { class: "m" }, meta) : null));
      }
      return tr;
    });
    $("matrix").tBodies[0].replaceChildren(...rows);
  }

  function filterMatrix() {
    const q = $("matrix-filter").value.trim().toLowerCase();
    for (const tr of $("matrix").tBodies[0].rows) tr.hidden = q !== "" && !tr.dataset.search.includes(q);
  }

  // -- regressions and conflicts ----------------------------------------------------------
  function renderRegressions(body) {
    const changes = body.items.flatMap((i) => i.changes.map((c) => ({ ...c, axis: i.axis, capability: i.capability, board: i.board })));
    const list = changes.slice(0, 12).map((c) => el("li", { "data-board": c.board.slug, "data-change": c.change },
      el("span", { class: "badge st-" + (c.change === "lost" ? "unsupported" : c.change === "gained" ? "supported" : "unknown") }, c.change),
      " ", c.message));
    $("regressions").replaceChildren(...(list.length ? list : [el("li", {}, "No capability changed between releases in the probes so far.")]));
  }

  function sideText(evidence) {
    return evidence.slice(0, 2).map((e) => (e.source || e.id || "").replace(/ <[^>]*>/, "")).join("; ");
  }

  function renderConflicts(body) {
    const list = body.items.slice(0, 8).map((c) => el("li", { "data-capability": c.capability },
      el("span", { class: "badge st-conflict" }, CAP_LABEL[c.capability] || c.capability),
      el("strong", {}, c.subjects.map((s) => s.name).join(", ")),
      ` — ${c.evidence} pieces of evidence`,
      el("p", { class: "sides" }, "Catalogue: ", sideText(c.catalogue)),
      el("p", { class: "sides" }, "Contradicted by: ", sideText(c.contradicted_by))));
    $("conflicts").replaceChildren(...(list.length ? list : [el("li", {}, "No conflicts.")]));
  }

  // -- compat search ----------------------------------------------------------------------
  async function search(event) {
    if (event) event.preventDefault();
    const params = new URLSearchParams();
    for (const name of ["board", "cpu", "bios", "chipset"]) {
      const v = $("q-" + name).value.trim();
      if (v) params.set(name, v);
    }
    const out = $("compat-result");
    if (![...params.keys()].length) {
      out.replaceChildren(el("p", { class: "error" }, "Give a board, a CPU or a chipset."));
      return;
    }
    out.replaceChildren(el("p", {}, "Checking…"));
    // The question goes into the address, so a check can be bookmarked or shared.
    history.replaceState(null, "", "?" + params.toString());
    try {
      const doc = await getJSON("/compat?" + params.toString());
      const resolved = ["board", "cpu", "chipset", "bios"].map((k) => [k, (doc.resolved || {})[k]]).filter(([, v]) => v)
        .map(([k, v]) => `${k}: ${v.name || v.model || v.brand || v.version || v.slug || ""}`);
      const cards = CAPS.map((cap) => {
        const v = doc.capabilities[cap];
        const first = (v.reasons || []).find((r) => !r.advisory && r.status === v.status) || (v.reasons || [])[0];
        return el("div", { class: "verdict st-" + v.status, "data-cap": cap, "data-status": v.status },
          el("h3", {}, `${CAP_LABEL[cap]}: ${v.status}`),
          first ? el("p", {}, first.message, " ", el("small", {}, `(${first.rule})`)) : null);
      });
      const unresolved = (doc.unresolved || []).map((u) => el("p", { class: "error" }, `Not found: ${u.field} "${u.value}"`));
      out.replaceChildren(el("p", {}, resolved.join(" · ")), ...unresolved, el("div", { class: "verdicts" }, cards));
    } catch (err) {
      const cands = (err.body && err.body.candidates) || [];
      out.replaceChildren(el("p", { class: "error" }, err.message), cands.length ? el("p", {}, "Did you mean: " + cands.slice(0, 5).map((c) => c.name || c.slug || c).join(", ")) : null);
    }
  }

  async function main() {
    $("compat-form").addEventListener("submit", search);
    $("trend-cap").addEventListener("change", () => loadTrend().catch(report));
    $("trend-bucket").addEventListener("change", () => loadTrend().catch(report));
    $("matrix-filter").addEventListener("input", filterMatrix);
    const jobs = [
      getJSON("/stats/summary").then(renderSummary),
      loadTrend(),
      getAll("/stats/support-matrix").then(renderMatrix),
      getJSON("/stats/regressions?changed=true&per_page=50").then(renderRegressions),
      getJSON("/stats/conflicts?per_page=20").then(renderConflicts),
    ];
    const asked = new URLSearchParams(location.search);
    if (["board", "cpu", "bios", "chipset"].some((k) => asked.get(k))) {
      for (const k of ["board", "cpu", "bios", "chipset"]) $("q-" + k).value = asked.get(k) || "";
      jobs.push(search(null));
    }
    const results = await Promise.allSettled(jobs);
    const failed = results.filter((r) => r.status === "rejected");
    $("status").textContent = failed.length ? `Some panels failed to load: ${failed.map((f) => f.reason.message).join("; ")}` : `Updated ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`;
    document.body.dataset.ready = failed.length ? "error" : "yes";
  }

  function report(err) { $("status").textContent = "Error: " + err.message; }

  main().catch(report);
})();
