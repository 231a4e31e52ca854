/* quotekb pages: the reader view's filters and the charts, drawn as SVG.
   Shipped inside the plugin and loaded from the same server: no CDN, so the site
   works offline. Charts read their data from <script id="qk-chart-data">. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var PALETTES = {
    certainty: { certain: "#1f6f43", neutral: "#9aa5b1", hedged: "#d9822b", mixed: "#8e44ad" },
    kind: { assertion: "#4a78c2", prediction: "#d9a21b", conditional: "#8d5fc7",
            normative: "#3c9a5f", response: "#d2555d" },
    role: { framing: "#9aa5b1", proposal: "#1f5fa8", elaboration: "#6fa0d8", response: "#d2555d" }
  };

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, content, attrs) {
    var t = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    t.textContent = content;
    return t;
  }
  function link(parent, href, title) {
    var a = el("a", { href: href }, parent);
    el("title", {}, a).textContent = title;
    return a;
  }
  function svgFor(box, width, height, label) {
    return el("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height,
                       role: "img", "aria-label": label, "class": "qk-svg" }, box);
  }
  function pick(data, path) {
    return path.split(".").reduce(function (v, k) { return v == null ? v : v[k]; }, data);
  }

  // topic x speaker: one square per pair with claims, darker with more claims
  function heatmap(box, d) {
    var cell = 40, left = 250, top = 110, w = left + cell * d.columns.length + 20, h = top + cell * d.rows.length + 10;
    var svg = svgFor(box, w, h, "claims per topic and speaker");
    var max = Math.max.apply(null, d.cells.map(function (c) { return c.n; }).concat([1]));
    d.columns.forEach(function (c, i) {
      text(svg, left + cell * i + cell / 2, top - 8, c.label, { "class": "qk-axis", transform:
        "rotate(-45 " + (left + cell * i + cell / 2) + " " + (top - 8) + ")" });
    });
    d.rows.forEach(function (r, j) {
      text(svg, left - 8, top + cell * j + cell / 2 + 4, r.label, { "class": "qk-axis", "text-anchor": "end" });
    });
    var col = {}, row = {};
    d.columns.forEach(function (c, i) { col[c.id] = i; });
    d.rows.forEach(function (r, j) { row[r.id] = j; });
    d.cells.forEach(function (c) {
      var a = link(svg, c.url, c.n + " claims: " + c.topic_id + " × " + c.speaker_id);
      var x = left + cell * col[c.speaker_id], y = top + cell * row[c.topic_id];
      el("rect", { x: x + 1, y: y + 1, width: cell - 2, height: cell - 2, rx: 3, "class": "qk-mark",
                   fill: "rgba(31, 95, 168, " + (0.15 + 0.85 * c.n / max).toFixed(3) + ")" }, a);
      text(a, x + cell / 2, y + cell / 2 + 4, String(c.n), { "class": "qk-cell-label" + (c.n / max > 0.5 ? " qk-on-dark" : ""),
                                                      "text-anchor": "middle" });
    });
  }

  // horizontal stacked bars: one bar per row, one segment per key
  function stacked(box, d, palette) {
    var left = 250, barH = 24, gap = 10, width = 620, top = 8;
    var h = top + (barH + gap) * d.bars.length + 34;
    var svg = svgFor(box, left + width + 60, h, "stacked bars");
    var max = Math.max.apply(null, d.bars.map(function (b) {
      return b.segments.reduce(function (s, x) { return s + x.n; }, 0); }).concat([1]));
    var colors = PALETTES[palette] || {};
    d.bars.forEach(function (b, j) {
      var y = top + (barH + gap) * j, x = left, total = 0;
      text(svg, left - 8, y + barH / 2 + 4, b.label.length > 18 ? b.label.slice(0, 18) + "…" : b.label,
           { "class": "qk-axis", "text-anchor": "end" });
      b.segments.forEach(function (s) {
        var sw = width * s.n / max;
        var a = link(svg, s.url, b.label + ": " + s.n + " " + s.key);
        el("rect", { x: x, y: y, width: Math.max(sw - 1, 1), height: barH, "class": "qk-mark", fill: colors[s.key] || "#888" }, a);
        if (sw > 22) text(a, x + sw / 2, y + barH / 2 + 4, String(s.n), { "class": "qk-cell-label qk-on-dark", "text-anchor": "middle" });
        x += sw; total += s.n;
      });
      text(svg, x + 6, y + barH / 2 + 4, String(total), { "class": "qk-axis" });
    });
    var lx = left, ly = h - 12;
    d.keys.forEach(function (k) {
      el("rect", { x: lx, y: ly - 10, width: 12, height: 12, fill: colors[k] || "#888" }, svg);
      text(svg, lx + 16, ly, k, { "class": "qk-axis" });
      lx += 24 + k.length * 8;
    });
  }

  // analogy mentions along the article: one lane per frame, x = character offset
  function timeline(box, d) {
    var left = 250, width = 760, lane = 30, top = 10;
    var h = top + lane * d.rows.length + 50;
    var svg = svgFor(box, left + width + 20, h, "analogy mentions along the article");
    var lanes = {};
    d.rows.forEach(function (r, j) {
      lanes[r.id] = j;
      var y = top + lane * j + lane / 2;
      text(svg, left - 10, y + 4, r.label, { "class": "qk-axis", "text-anchor": "end" });
      el("line", { x1: left, x2: left + width, y1: y, y2: y, "class": "qk-lane" }, svg);
    });
    var base = top + lane * d.rows.length;
    (d.ticks || []).forEach(function (t) {
      var x = left + width * t.at / d.length;
      el("line", { x1: x, x2: x, y1: top, y2: base, "class": "qk-tick" }, svg);
      text(svg, x + 3, base + 14, "§" + t.label, { "class": "qk-axis" });
    });
    d.marks.forEach(function (m) {
      var x = left + width * m.start / d.length, y = top + lane * lanes[m.analogy_id] + lane / 2;
      var a = link(svg, m.url, m.speaker + ": " + m.role + (m.stance ? " (" + m.stance + ")" : ""));
      el("circle", { cx: x, cy: y, r: m.role === "proposal" ? 8 : 6, "class": "qk-mark" +
                     (m.stance ? " stance-" + m.stance : ""), fill: PALETTES.role[m.role] || "#888" }, a);
    });
    var lx = left, ly = h - 12;
    Object.keys(PALETTES.role).forEach(function (k) {
      el("circle", { cx: lx + 6, cy: ly - 4, r: 6, fill: PALETTES.role[k] }, svg);
      text(svg, lx + 16, ly, k, { "class": "qk-axis" });
      lx += 30 + k.length * 8;
    });
    text(svg, lx + 10, ly, "ringed: agree / partial / disagree", { "class": "qk-axis" });
  }

  function drawCharts() {
    var source = document.getElementById("qk-chart-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var draw = { heatmap: heatmap, stacked: stacked, timeline: timeline };
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var d = pick(data, box.getAttribute("data-source"));
      if (!d) return;
      draw[box.getAttribute("data-chart")](box, d, box.getAttribute("data-palette"));
      box.setAttribute("data-marks", box.querySelectorAll(".qk-mark").length);
    });
  }

  // reader view: dim or hide what the filters do not select, without a reload
  function readerFilters() {
    var form = document.querySelector(".qk-filters");
    if (!form) return;
    form.hidden = false;
    var sentences = Array.prototype.slice.call(document.querySelectorAll(".qk-reader .qk-s"));
    var blocks = Array.prototype.slice.call(document.querySelectorAll(".qk-reader .qk-block"));
    var count = form.querySelector(".qk-count");
    function apply() {
      var f = { speaker: form.speaker.value, topic: form.topic.value, kind: form.kind.value,
                certainty: form.certainty.value };
      var active = f.speaker || f.topic || f.kind || f.certainty;
      var hits = 0;
      document.body.classList.toggle("qk-filtering", !!active);
      document.body.classList.toggle("qk-hide-mode", !!active && form.hide.checked);
      sentences.forEach(function (s) {
        var ok = (!f.speaker || (" " + s.dataset.speakers + " ").indexOf(" " + f.speaker + " ") >= 0) &&
                 (!f.topic || (" " + s.dataset.topics + " ").indexOf(" " + f.topic + " ") >= 0) &&
                 (!f.kind || s.dataset.kind === f.kind) &&
                 (!f.certainty || s.dataset.certainty === f.certainty);
        s.classList.toggle("qk-off", !!active && !ok);
        if (ok && s.classList.contains("qk-claim")) hits += 1;
      });
      blocks.forEach(function (b) {
        var any = b.querySelector(".qk-s:not(.qk-off)");
        var speakerOk = !f.speaker || b.dataset.speaker === f.speaker;
        b.classList.toggle("qk-off-block", !!active && (b.classList.contains("qk-speaker") ? !speakerOk : !any));
      });
      var total = document.querySelector(".qk-reader").dataset.claims;
      count.textContent = active ? hits + " of " + total + " claims" : total + " claims";
    }
    form.addEventListener("change", apply);
    form.querySelector(".qk-next").addEventListener("click", function () {
      // the first matching claim below the sticky filter bar, else back to the first one
      var shown = Array.prototype.filter.call(document.querySelectorAll(".qk-reader .qk-claim[data-claim]"),
        function (c) { return !c.classList.contains("qk-off"); });
      var below = form.getBoundingClientRect().bottom + 8;
      var next = shown.find(function (c) { return c.getBoundingClientRect().top > below + 4; }) || shown[0];
      if (next) { next.scrollIntoView({ block: "center" }); next.focus(); }
    });
    apply();
  }

  // claim card: a copy button on each citation
  function copyButtons() {
    if (!navigator.clipboard) return; // only in a secure context (https or localhost)
    document.querySelectorAll("pre[data-copy]").forEach(function (pre) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "qk-copy";
      button.textContent = "copy";
      var text = pre.textContent;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(text).then(function () { button.textContent = "copied"; });
      });
      pre.appendChild(button);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    readerFilters();
    drawCharts();
    copyButtons();
  });
})();
