// nucsec spectrum plot: zoom, pan, log/linear, peaks and identified lines annotated; with
// the page's tools (<script id="peak-data">): a cursor read-out of energy, channel and
// counts (pointer or arrow keys), a peak's fit on click (or Enter at the cursor) with its
// region's model drawn over the data, any nuclide's reference lines overlaid (heights by
// intensity), and the plot downloaded as SVG or PNG (drawn here from the shown SVG).
// Reads the plot data from <script type="application/json" id="plot-data"> (not executed)
// and draws SVG; the server's static SVG stays when scripts are off.
"use strict";

(function () {
  const source = document.getElementById("plot-data");
  const figure = document.getElementById("spectrum-plot");
  if (!source || !figure) {
    return;
  }
  const data = JSON.parse(source.textContent);
  const area = figure.querySelector(".plot-area");
  const controls = figure.querySelector(".plot-controls");
  const NS = "http://www.w3.org/2000/svg";
  const W = 1000, H = 420, L = 64, R = 16, T = 16, B = 44;
  const PW = W - L - R, PH = H - T - B;
  const LABEL_GAP = 12;  // svg units between two rotated peak labels (a 10-unit text line)
  const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"];
  const energies = data.energy_kev.map(function (e) { return e === null ? NaN : e; });
  const lo0 = energies.find(function (e) { return !isNaN(e); }) || 0;
  const hi0 = energies.slice().reverse().find(function (e) { return !isNaN(e); }) || 1;
  const nuclides = Array.from(new Set(data.lines.map(function (l) { return l.nuclide; })));
  const state = { lo: lo0, hi: hi0, log: true, lines: true, drag: null, cursor: null, peak: null, overlays: [], background: false };
  const toolSource = document.getElementById("peak-data");
  const tools = toolSource ? JSON.parse(toolSource.textContent) : null;
  const OVERLAY_COLOURS = ["#6a3d9a", "#b15928", "#1b7837", "#c51b7d", "#4d4d4d"];
  // a plotted point sums this many channels (the plot data is binned above a size)
  const perPoint = tools && tools.n_channels ? Math.max(1, Math.ceil(tools.n_channels / energies.length)) : 1;
  let scale = null;  // the last drawing's axes: {sx, sy, ymin, ymax}

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function visible() {
    let a = 0, b = energies.length - 1;
    while (a < b && !(energies[a] >= state.lo)) { a++; }
    while (b > a && !(energies[b] <= state.hi)) { b--; }
    return [a, b];
  }

  function yval(v) {
    if (v === null || isNaN(v)) { return NaN; }
    // a log axis has no zero: an empty channel is a gap, not a drop to an invented floor
    // (which drew alternating 0/1-count channels as a solid block)
    if (state.log) { return v > 0 ? Math.log10(v) : NaN; }
    return v;
  }

  function ticks(lo, hi, n) {
    const span = hi - lo;
    if (!(span > 0)) { return [lo]; }
    const raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(function (m) { return m * mag; }).find(function (s) { return span / s <= n; });
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) { out.push(v); }
    return out;
  }

  function polyline(range, values, sx, sy, colour, width) {
    // a path broken where values are missing; at most two points (min and max) per pixel
    // column, so narrow peaks survive however far the view is zoomed out
    const parts = [];
    let run = [], col = -1, cmin = null, cmax = null;
    function flush() {
      if (cmin) { run.push(cmin); }
      if (cmax && cmax !== cmin) { run.push(cmax); }
      cmin = cmax = null;
    }
    function end() {
      flush();
      if (run.length > 1) { parts.push("M" + run.map(function (p) { return p[0] + "," + p[1].toFixed(1); }).join("L")); }
      run = [];
      col = -1;
    }
    for (let i = range[0]; i <= range[1]; i++) {
      const y = yval(values[i]), e = energies[i];
      if (isNaN(y) || isNaN(e)) { end(); continue; }
      const px = Math.round(sx(e)), py = sy(y);
      if (px !== col) { flush(); col = px; cmin = cmax = [px, py]; }
      else if (py < cmax[1]) { cmax = [px, py]; } else if (py > cmin[1]) { cmin = [px, py]; }
    }
    end();
    return svg("path", { d: parts.join(""), fill: "none", stroke: colour, "stroke-width": width });
  }

  function draw() {
    const range = visible();
    let ymax = -Infinity, ymin = Infinity;
    for (let i = range[0]; i <= range[1]; i++) {
      const y = yval(data.counts[i]);
      if (!isNaN(y)) { ymax = Math.max(ymax, y); ymin = Math.min(ymin, y); }
    }
    if (!isFinite(ymax)) { ymax = 1; ymin = 0; }
    ymin = state.log ? Math.min(ymin, 0) : 0;
    // head room above the highest channel for the rotated peak labels, in both scales
    ymax = ymax + (state.lines ? 0.3 : 0.08) * (ymax - ymin || 1);
    const sx = function (e) { return L + (e - state.lo) / (state.hi - state.lo) * PW; };
    const sy = function (y) { return T + PH - (y - ymin) / (ymax - ymin) * PH; };
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", class: "plot-svg", "font-family": "sans-serif", "font-size": "11" });
    root.appendChild(svg("title", {}, "Spectrum " + state.lo.toFixed(0) + "–" + state.hi.toFixed(0) + " keV, " + (state.log ? "log" : "linear") + " counts"));
    root.appendChild(svg("rect", { x: L, y: T, width: PW, height: PH, fill: "#fff", stroke: "#8c959f" }));
    const clip = svg("clipPath", { id: "plot-clip" });
    clip.appendChild(svg("rect", { x: L, y: T, width: PW, height: PH }));
    root.appendChild(clip);
    const g = svg("g", { "clip-path": "url(#plot-clip)" });
    g.appendChild(polyline(range, data.counts, sx, sy, "#1f4e9c", 1));
    g.appendChild(polyline(range, data.fit, sx, sy, "#d1495b", 1.3));
    if (state.background && tools.background && tools.background.length === energies.length) {
      const bg = polyline(range, tools.background, sx, sy, "#6e7781", 1);
      bg.setAttribute("class", "background-line");
      g.appendChild(bg);
    }
    if (state.lines) {
      data.lines.forEach(function (l) {
        if (l.energy_kev < state.lo || l.energy_kev > state.hi) { return; }
        const x = sx(l.energy_kev).toFixed(1);
        const c = COLOURS[nuclides.indexOf(l.nuclide) % COLOURS.length];
        const line = svg("line", { x1: x, x2: x, y1: T, y2: T + PH, stroke: c, "stroke-width": l.matched ? 1 : 0.8, "stroke-dasharray": l.matched ? "" : "3,3", opacity: 0.7, class: "nuclide-line", "data-nuclide": l.nuclide });
        line.appendChild(svg("title", {}, l.nuclide + " " + l.energy_kev + " keV (" + l.intensity_pct + " %)" + (l.matched ? ", matched" : ", not seen")));
        g.appendChild(line);
      });
    }
    if (state.peak) {
      const p = state.peak, a = Math.max(p.region_lo_kev, state.lo), b = Math.min(p.region_hi_kev, state.hi);
      if (b > a) {
        g.appendChild(svg("rect", { x: sx(a), y: T, width: sx(b) - sx(a), height: PH, fill: "#f4a261", "fill-opacity": 0.18, class: "fit-region" }));
        const inRegion = data.fit.map(function (v, i) { return energies[i] >= p.region_lo_kev && energies[i] <= p.region_hi_kev ? v : null; });
        const model = polyline(range, inRegion, sx, sy, "#000000", 2.2);
        model.setAttribute("class", "fit-model");
        g.appendChild(model);
      }
    }
    state.overlays.forEach(function (o, k) {
      const top = Math.max.apply(null, o.lines.map(function (l) { return l.intensity_pct; }).concat([1e-9]));
      o.lines.forEach(function (l) {
        if (l.energy_kev < state.lo || l.energy_kev > state.hi) { return; }
        const x = sx(l.energy_kev).toFixed(1), h = Math.max(0.04, l.intensity_pct / top) * PH * 0.9;
        const line = svg("line", { x1: x, x2: x, y1: T + PH, y2: (T + PH - h).toFixed(1), stroke: OVERLAY_COLOURS[k % OVERLAY_COLOURS.length], "stroke-width": 2, opacity: 0.8, class: "overlay-line", "data-nuclide": o.nuclide });
        line.appendChild(svg("title", {}, o.nuclide + " " + l.energy_kev + " keV (" + l.intensity_pct + " %)"));
        g.appendChild(line);
      });
    });
    const shown = data.peaks.filter(function (p) { return p.energy_kev >= state.lo && p.energy_kev <= state.hi; });
    shown.forEach(function (p) {
      const x = sx(p.energy_kev);
      g.appendChild(svg("path", { d: "M" + x.toFixed(1) + "," + (T + 2) + "l-3,-0l3,6l3,-6z", fill: "#2a9d8f", class: "peak-marker", "data-energy": p.energy_kev }));
    });
    // labels never pile up: the strongest peaks are labelled first, and a label is left out
    // when it would come closer than a text line to one already placed (zoom in for more)
    const placed = [];
    shown.filter(function (p) { return p.label; })
      .sort(function (a, b) { return (b.net_counts || 0) - (a.net_counts || 0); })
      .forEach(function (p) {
        const x = sx(p.energy_kev);
        if (placed.some(function (q) { return Math.abs(q - x) < LABEL_GAP; })) { return; }
        placed.push(x);
        g.appendChild(svg("text", { x: (x + 3).toFixed(1), y: T + 12, fill: "#1b6f65", "font-size": "10", transform: "rotate(90 " + (x + 3).toFixed(1) + " " + (T + 12) + ")", class: "peak-label", "data-energy": p.energy_kev }, p.label + " " + p.energy_kev.toFixed(1)));
      });
    root.appendChild(g);
    ticks(state.lo, state.hi, 8).forEach(function (e) {
      root.appendChild(svg("line", { x1: sx(e), x2: sx(e), y1: T + PH, y2: T + PH + 5, stroke: "#57606a" }));
      root.appendChild(svg("text", { x: sx(e), y: T + PH + 18, "text-anchor": "middle" }, String(Math.round(e * 10) / 10)));
    });
    ticks(ymin, ymax, 6).forEach(function (y) {
      root.appendChild(svg("line", { x1: L - 5, x2: L, y1: sy(y), y2: sy(y), stroke: "#57606a" }));
      const label = state.log ? (Math.abs(y - Math.round(y)) < 1e-9 ? "1e" + Math.round(y) : "") : String(Math.round(y * 100) / 100);
      root.appendChild(svg("text", { x: L - 8, y: sy(y) + 4, "text-anchor": "end" }, label));
    });
    root.appendChild(svg("text", { x: L + PW / 2, y: H - 6, "text-anchor": "middle" }, "energy (keV)"));
    root.appendChild(svg("text", { x: 14, y: T + PH / 2, "text-anchor": "middle", transform: "rotate(-90 14 " + (T + PH / 2) + ")" }, (state.log ? "log10 " : "") + data.y_label));
    let lx = L + 8;
    if (state.lines) {
      nuclides.forEach(function (n, i) {
        const c = COLOURS[i % COLOURS.length];
        root.appendChild(svg("rect", { x: lx, y: T + PH - 16, width: 10, height: 10, fill: c }));
        root.appendChild(svg("text", { x: lx + 13, y: T + PH - 7, class: "legend" }, n));
        lx += 14 + 7 * n.length + 10;
      });
    }
    state.overlays.forEach(function (o, k) {
      root.appendChild(svg("rect", { x: lx, y: T + PH - 16, width: 10, height: 4, fill: OVERLAY_COLOURS[k % OVERLAY_COLOURS.length] }));
      root.appendChild(svg("text", { x: lx + 13, y: T + PH - 7, class: "legend" }, o.nuclide + " (ref.)"));
      lx += 14 + 7 * (o.nuclide.length + 7) + 10;
    });
    scale = { sx: sx, sy: sy, ymin: ymin, ymax: ymax };
    drawCursor(root);
    if (state.drag && state.drag.x1 !== undefined) {
      const a = Math.min(state.drag.x0, state.drag.x1), b = Math.max(state.drag.x0, state.drag.x1);
      root.appendChild(svg("rect", { x: a, y: T, width: b - a, height: PH, fill: "#0b4f8a", "fill-opacity": 0.15 }));
    }
    area.replaceChildren(root);
    const logButton = controls.querySelector('[data-act="log"]');
    logButton.setAttribute("aria-pressed", state.log ? "true" : "false");
    logButton.textContent = state.log ? logButton.dataset.log : logButton.dataset.linear;
  }

  function nearestIndex(energy) {
    let best = 0;
    for (let i = 0; i < energies.length; i++) {
      if (Math.abs(energies[i] - energy) < Math.abs(energies[best] - energy)) { best = i; }
    }
    return best;
  }

  function drawCursor(root) {
    const i = state.cursor;
    if (i === null || !scale || !(energies[i] >= state.lo && energies[i] <= state.hi)) { return; }
    const x = scale.sx(energies[i]).toFixed(1);
    root.appendChild(svg("line", { x1: x, x2: x, y1: T, y2: T + PH, stroke: "#57606a", "stroke-width": 1, "stroke-dasharray": "2,2", class: "plot-cursor" }));
  }

  function readout() {
    const out = document.getElementById("plot-readout");
    const i = state.cursor;
    if (!out || i === null) { return; }
    const first = i * perPoint, channel = perPoint > 1 ? first + "–" + (first + perPoint - 1) : String(first);
    const counts = data.counts[i] === null ? "—" : String(data.counts[i]);
    out.textContent = out.dataset.format.replace("{energy}", energies[i].toFixed(2)).replace("{channel}", channel).replace("{counts}", counts);
  }

  function moveCursor(i) {
    state.cursor = Math.max(0, Math.min(energies.length - 1, i));
    const e = energies[state.cursor], span = state.hi - state.lo;
    if (e < state.lo || e > state.hi) {  // the view follows a cursor moved out of it
      state.lo = Math.max(lo0, e - span / 2);
      state.hi = Math.min(hi0, state.lo + span);
      draw();
    } else {
      const old = area.querySelector(".plot-cursor");
      if (old) { old.remove(); }
      drawCursor(area.querySelector("svg"));
    }
    readout();
  }

  function nearestPeak(energy, within) {
    if (!tools) { return null; }
    let best = null;
    tools.peaks.forEach(function (p) {
      const d = Math.abs(p.energy_kev - energy);
      if (d <= within && (best === null || d < Math.abs(best.energy_kev - energy))) { best = p; }
    });
    return best;
  }

  function fmt(v, digits) { return v === null || v === undefined ? "—" : Number(v).toFixed(digits); }

  function showPeak(p) {
    const panel = document.getElementById("peak-fit");
    if (!panel || !p) { return; }
    state.peak = p;
    function put(id, text) { document.getElementById(id).textContent = text; }
    put("peak-fit-energy", fmt(p.energy_kev, 2) + " keV");
    put("fit-centroid", fmt(p.energy_kev, 3) + " ± " + fmt(p.energy_unc_kev, 3) + " keV");
    put("fit-fwhm", fmt(p.fwhm_kev, 3) + " keV");
    put("fit-area", fmt(p.net_counts, 1) + " ± " + fmt(p.unc, 1));
    put("fit-significance", fmt(p.significance, 1));
    put("fit-region", fmt(p.region_lo_kev, 2) + "–" + fmt(p.region_hi_kev, 2) + " keV");
    const chi2 = document.getElementById("fit-chi2");
    chi2.textContent = p.region_reduced_chi2 === null ? chi2.dataset.none : fmt(p.region_reduced_chi2, 2);
    const label = document.getElementById("fit-label");
    label.textContent = p.label || label.dataset.none;
    const list = document.getElementById("fit-lines");
    list.replaceChildren();
    p.lines.forEach(function (l) {
      const item = document.createElement("li");
      item.textContent = l.nuclide + " (" + l.emitter + ") " + l.energy_kev + " keV, " + l.intensity_pct + " %";
      list.appendChild(item);
    });
    if (!p.lines.length) {
      const item = document.createElement("li");
      item.textContent = list.dataset.none;
      list.appendChild(item);
    }
    panel.hidden = false;
    draw();
  }

  // The page's banner (the roll-up of everything shown, so at least the plot's marking),
  // drawn above and below a downloaded plot: the file stays marked once it leaves the page.
  const BANNER_H = 24;

  function pageBanner() {
    const top = document.querySelector('[data-testid="banner-top"]');
    if (!top) { return null; }
    const style = getComputedStyle(top);
    const texts = Array.from(top.querySelectorAll(".marking")).map(function (m) { return m.textContent.trim(); });
    return { text: texts.join("  "), fill: style.backgroundColor, colour: style.color };
  }

  function exportHeight() {
    return H + (pageBanner() ? 2 * BANNER_H : 0);
  }

  function svgText() {
    const mark = pageBanner();
    const bh = mark ? BANNER_H : 0;
    const height = H + 2 * bh;
    const outer = svg("svg", { width: W, height: height, viewBox: "0 0 " + W + " " + height });
    outer.setAttribute("xmlns", NS);
    outer.appendChild(svg("rect", { x: 0, y: 0, width: W, height: height, fill: "#ffffff" }));
    const copy = area.querySelector("svg").cloneNode(true);
    copy.setAttribute("x", 0);
    copy.setAttribute("y", bh);
    copy.setAttribute("width", W);
    copy.setAttribute("height", H);
    const cursor = copy.querySelector(".plot-cursor");
    if (cursor) { cursor.remove(); }
    outer.appendChild(copy);
    if (mark) {
      [0, H + bh].forEach(function (y) {
        outer.appendChild(svg("rect", { x: 0, y: y, width: W, height: bh, fill: mark.fill, "class": "export-banner" }));
        outer.appendChild(svg("text", {
          x: W / 2, y: y + 17, "text-anchor": "middle", "font-size": 14, "font-weight": "bold",
          "font-family": "sans-serif", fill: mark.colour,
        }, mark.text));
      });
    }
    return new XMLSerializer().serializeToString(outer);
  }

  function save(blob, name) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 5000);
  }

  function savePng() {
    const image = new Image();
    image.onload = function () {
      const canvas = document.createElement("canvas");
      const height = exportHeight();
      canvas.width = 2 * W;
      canvas.height = 2 * height;
      const ctx = canvas.getContext("2d");
      ctx.scale(2, 2);
      ctx.drawImage(image, 0, 0, W, height);
      canvas.toBlob(function (blob) { save(blob, "spectrum.png"); }, "image/png");
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svgText());
  }

  function setUpTools() {
    const box = document.getElementById("plot-tools");
    if (box) { box.hidden = false; }
    const showBackground = document.getElementById("show-background");
    if (showBackground) {
      showBackground.addEventListener("change", function () { state.background = showBackground.checked; draw(); });
    }
    const form = document.getElementById("overlay-form");
    if (!form) { return; }
    const input = document.getElementById("overlay-nuclide");
    const error = document.getElementById("overlay-error");
    input.addEventListener("focus", function () {
      const names = document.getElementById("overlay-names");
      if (names.childElementCount) { return; }
      fetch("/spectra/lines", { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { nuclides: [] }; })
        .then(function (body) {
          body.nuclides.forEach(function (n) { const o = document.createElement("option"); o.value = n; names.appendChild(o); });
        });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) { return; }
      fetch("/spectra/lines?nuclide=" + encodeURIComponent(name), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) { error.textContent = error.dataset.unknown + " " + name; return; }
          error.textContent = "";
          state.overlays = state.overlays.filter(function (o) { return o.nuclide !== body.nuclide; });
          state.overlays.push(body);
          draw();
        });
    });
    document.getElementById("overlay-clear").addEventListener("click", function () {
      state.overlays = [];
      error.textContent = "";
      draw();
    });
  }

  function zoom(factor, centre) {
    const c = centre === undefined ? (state.lo + state.hi) / 2 : centre;
    const half = Math.max((state.hi - state.lo) * factor / 2, 1);
    state.lo = Math.max(lo0, c - half);
    state.hi = Math.min(hi0, c + half);
    draw();
  }

  function pan(fraction) {
    const span = state.hi - state.lo;
    const shift = Math.max(lo0 - state.lo, Math.min(hi0 - state.hi, span * fraction));
    state.lo += shift;
    state.hi += shift;
    draw();
  }

  function act(what) {
    if (what === "log") { state.log = !state.log; draw(); }
    else if (what === "in") { zoom(0.5); }
    else if (what === "out") { zoom(2); }
    else if (what === "left") { pan(-0.25); }
    else if (what === "right") { pan(0.25); }
    else if (what === "reset") { state.lo = lo0; state.hi = hi0; draw(); }
  }

  function energyAt(event) {
    const box = area.querySelector("svg").getBoundingClientRect();
    const x = (event.clientX - box.left) / box.width * W;
    return { x: x, e: state.lo + (x - L) / PW * (state.hi - state.lo) };
  }

  controls.hidden = false;
  controls.addEventListener("click", function (event) {
    const target = event.target.closest("button[data-act]");
    if (target) { act(target.dataset.act); }
  });
  controls.querySelector('[data-act="lines"]').addEventListener("change", function (event) {
    state.lines = event.target.checked;
    draw();
  });
  area.addEventListener("keydown", function (event) {
    const keys = { "+": "in", "=": "in", "-": "out", "l": "log", "L": "log", "0": "reset" };
    const step = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
    if (step && event.shiftKey) { event.preventDefault(); act(step < 0 ? "left" : "right"); }
    else if (step) {
      // the cursor starts in the middle of the view, then moves one plotted point a key
      event.preventDefault();
      moveCursor(state.cursor === null ? nearestIndex((state.lo + state.hi) / 2) : state.cursor + step);
    } else if (event.key === "Enter" && state.cursor !== null) {
      event.preventDefault();
      showPeak(nearestPeak(energies[state.cursor], (state.hi - state.lo) / 20));
    } else if (keys[event.key]) { event.preventDefault(); act(keys[event.key]); }
  });
  area.addEventListener("wheel", function (event) {
    // the wheel scrolls the page; with Ctrl (or ⌘) held it zooms the plot
    if (!(event.ctrlKey || event.metaKey)) { return; }
    event.preventDefault();
    zoom(event.deltaY < 0 ? 0.8 : 1.25, energyAt(event).e);
  }, { passive: false });
  area.addEventListener("mousedown", function (event) {
    const at = energyAt(event);
    state.drag = { x0: at.x, e0: at.e };
  });
  area.addEventListener("mousemove", function (event) {
    if (state.drag) { state.drag.x1 = energyAt(event).x; draw(); return; }
    const at = energyAt(event);
    if (at.x >= L && at.x <= L + PW) { moveCursor(nearestIndex(at.e)); }
  });
  window.addEventListener("mouseup", function (event) {
    if (!state.drag) { return; }
    const d = state.drag, e1 = energyAt(event).e;
    state.drag = null;
    if (d.x1 !== undefined && Math.abs(energyAt(event).x - d.x0) > 5) {
      state.lo = Math.max(lo0, Math.min(d.e0, e1));
      state.hi = Math.min(hi0, Math.max(d.e0, e1));
    } else if (area.contains(event.target)) {
      // a click: the peak under the pointer (its marker or label, or within 8 px of it)
      const marked = event.target.closest ? event.target.closest("[data-energy]") : null;
      const e = marked ? Number(marked.getAttribute("data-energy")) : e1;
      const p = nearestPeak(e, 8 / PW * (state.hi - state.lo));
      if (p) { showPeak(p); return; }
    }
    draw();
  });
  controls.querySelector("#download-svg").addEventListener("click", function () {
    save(new Blob([svgText()], { type: "image/svg+xml" }), "spectrum.svg");
  });
  controls.querySelector("#download-png").addEventListener("click", savePng);
  if (tools) { setUpTools(); }
  draw();
})();
