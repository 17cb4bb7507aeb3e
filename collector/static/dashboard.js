/* edgebench dashboard: draws charts from the page's JSON and applies live updates.
 *
 * Safety: every string from a device is put into the page with textContent or as an
 * attribute value through the DOM API, never as HTML. Chart labels are drawn on canvas.
 */
(function () {
  "use strict";

  var COLORS = ["#2f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c",
                "#5c940d", "#364fc7", "#a61e4d"];

  function pageData() {
    var el = document.getElementById("chart-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function num(value, digits) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (!isFinite(value)) return "–";
    if (value === 0) return "0";
    digits = digits || 3;
    var magnitude = Math.floor(Math.log10(Math.abs(value)));
    var decimals = Math.max(0, digits - 1 - magnitude);
    return value.toLocaleString("en-US", {minimumFractionDigits: decimals,
                                          maximumFractionDigits: decimals});
  }

  function utc(ts) {
    if (ts === null || ts === undefined) return "–";
    return new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19) + "Z";
  }

  /* Shades the throttled intervals (options.plugins.throttle.spans) behind the lines. */
  var throttlePlugin = {
    id: "throttle",
    beforeDatasetsDraw: function (chart, _args, opts) {
      var spans = (opts && opts.spans) || [];
      if (!spans.length) return;
      var area = chart.chartArea, x = chart.scales.x, ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = "rgba(220, 38, 38, 0.18)";
      spans.forEach(function (span) {
        var x0 = Math.max(area.left, x.getPixelForValue(span[0]));
        var x1 = Math.min(area.right, Math.max(x.getPixelForValue(span[1]), x0 + 2));
        ctx.fillRect(x0, area.top, x1 - x0, area.bottom - area.top);
      });
      ctx.restore();
    }
  };

  var LABEL_MAX = 30;  // characters per bar-label line
  var charts = [];  // drawn Chart instances, destroyed before a live redraw

  function canvas(name) {
    return document.querySelector('canvas[data-chart="' + name + '"]');
  }

  /* Date ticks: the day, or day and time when the axis spans less than two days. */
  function dateTick(v) {
    return this.max - this.min < 2 * 86400 ? utc(v).slice(5, 16) : utc(v).slice(0, 10);
  }

  /* An axis of epoch seconds around the points, at least an hour wide (a single run would
   * otherwise get an axis of several years). */
  function dateRange(datasets) {
    var xs = [];
    datasets.forEach(function (d) { d.points.forEach(function (p) { xs.push(p[0]); }); });
    if (!xs.length) return {};
    var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
    var pad = Math.max(1800, (hi - lo) * 0.03);
    return {xmin: lo - pad, xmax: hi + pad};
  }

  function lineChart(el, datasets, opts) {
    if (!el) return;
    charts.push(new window.Chart(el, {
      type: "line",
      data: {datasets: datasets.map(function (d, i) {
        return {label: d.label, borderColor: COLORS[i % COLORS.length],
                backgroundColor: COLORS[i % COLORS.length], borderWidth: 1.5,
                pointRadius: opts.points ? 2.5 : 0, tension: 0, spanGaps: true,
                data: d.points.map(function (p) { return {x: p[0], y: p[1]}; })};
      })},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        interaction: {mode: "nearest", intersect: false},
        scales: {
          x: {type: "linear", min: opts.xmin, max: opts.xmax,
              title: {display: !!opts.xtitle, text: opts.xtitle},
              ticks: opts.dates ? {callback: dateTick, includeBounds: false, maxTicksLimit: 6} : {}},
          // A fixed axis width lines the x axes of stacked panels up exactly.
          y: {title: {display: !!opts.unit, text: opts.unit},
              afterFit: function (axis) { axis.width = 64; }}
        },
        plugins: {legend: {display: datasets.length > 1}, throttle: {spans: opts.spans || []}}
      },
      plugins: [throttlePlugin]
    }));
  }

  function cut(text) {
    text = String(text);
    return text.length > LABEL_MAX ? text.slice(0, LABEL_MAX - 1) + "…" : text;
  }

  function barChart(el, labels, values, highlight, unit) {
    if (!el) return;
    charts.push(new window.Chart(el, {
      type: "bar",
      data: {labels: labels, datasets: [{
        data: values,
        backgroundColor: values.map(function (_v, i) { return highlight[i] ? "#2b8a3e" : "#2f6feb"; })
      }]},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                plugins: {legend: {display: false}},
                scales: {y: {beginAtZero: true, title: {display: !!unit, text: unit}}}}
    }));
  }

  /* Comparison bars lie horizontally with every label on its own lines (" · " parts), so
   * each bar is named however long the labels are (Chart.js would skip labels that do not
   * fit under vertical bars); the chart grows with the number of bars. */
  function compareBars(el, labels, values, highlight) {
    if (!el) return;
    var lines = labels.map(function (l) { return String(l).split(" · ").map(cut); });
    var tallest = Math.max.apply(null, lines.map(function (l) { return l.length; }));
    el.parentNode.style.height = (40 + labels.length * (tallest * 13 + 10)) + "px";
    charts.push(new window.Chart(el, {
      type: "bar",
      data: {labels: lines, datasets: [{
        data: values,
        backgroundColor: values.map(function (_v, i) { return highlight[i] ? "#2b8a3e" : "#2f6feb"; })
      }]},
      options: {indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
                plugins: {legend: {display: false}},
                scales: {x: {beginAtZero: true},
                         y: {ticks: {autoSkip: false, font: {size: 11}}}}}
    }));
  }

  function drawCharts() {
    var data = pageData();
    if (!data || !window.Chart) return;
    var page = document.body.dataset.page;
    if (page === "run") {
      data.panels.forEach(function (panel) {
        lineChart(canvas("series-" + panel.id), panel.datasets, {
          xmin: data.xmin, xmax: data.xmax, spans: data.throttle, unit: panel.unit,
          xtitle: "s from measured start"});
      });
      if (data.histogram && data.histogram.counts.length) {
        barChart(canvas("histogram"), data.histogram.labels, data.histogram.counts,
                 data.histogram.counts.map(function () { return false; }), "inferences");
      }
      // The per-op profile's charts (opprofile.js), when the run has one.
      if (data.ops && window.EdgebenchOps) {
        charts.push.apply(charts, window.EdgebenchOps.run(data.ops));
      }
    } else if (page === "device") {
      var range = dateRange(data.latency);
      lineChart(canvas("trend-latency"), data.latency,
                {dates: true, unit: "ms", points: true, xmin: range.xmin, xmax: range.xmax});
      lineChart(canvas("trend-energy"), data.energy,
                {dates: true, unit: "mJ", points: true, xmin: range.xmin, xmax: range.xmax});
    } else if (page === "compare") {
      data.bars.forEach(function (bar) {
        compareBars(canvas("bar-" + bar.id), data.labels, bar.values, bar.best);
      });
      if (data.layers && window.EdgebenchOps) {
        charts.push.apply(charts, window.EdgebenchOps.compare(data.layers));
      }
    }
    document.body.dataset.chartsDrawn = "yes";
  }

  /* ---- live updates ---- */

  function urlFor(kind, id) {
    var template = document.body.dataset[kind + "Url"];
    return template.replace("__ID__", encodeURIComponent(id));
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function link(kind, id) {
    var a = el("a", id);
    a.href = urlFor(kind, id);
    return a;
  }

  function badge(value, kind) {
    if (kind === "verdict") {
      if (value === "VALID") return el("span", "VALID", "badge ok");
      if (value === "INVALID") return el("span", "INVALID", "badge bad");
      return el("span", "–", "badge");
    }
    return el("span", value || "unknown", value === "online" ? "badge ok" : "badge off");
  }

  function setCell(row, field, nodes) {
    var cell = row.querySelector('[data-field="' + field + '"]');
    if (!cell) return;
    cell.textContent = "";
    nodes.forEach(function (n) {
      cell.appendChild(typeof n === "string" ? document.createTextNode(n) : n);
    });
  }

  function findRow(tbody, attr, id) {
    var rows = tbody.querySelectorAll("tr[" + attr + "]");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute(attr) === id) return rows[i];
    }
    return null;
  }

  function newRow(tbody, attr, id, fields, atTop) {
    var empty = tbody.querySelector("tr.empty");
    if (empty) empty.remove();
    var row = document.createElement("tr");
    row.setAttribute(attr, id);
    fields.forEach(function (f) {
      var td = el("td", null, f.charAt(0) === "#" ? "n" : "");
      td.dataset.field = f.replace("#", "");
      row.appendChild(td);
    });
    if (atTop) tbody.insertBefore(row, tbody.firstChild); else tbody.appendChild(row);
    return row;
  }

  var DEVICE_FIELDS = ["device_id", "status", "board", "cpu_model", "os_release", "runtimes",
                       "last_seen", "last_result"];

  function updateDevice(d) {
    var page = document.body.dataset.page;
    if (page === "device" && d.device_id === document.body.dataset.device) {
      var st = document.getElementById("device-status");
      st.textContent = "";
      st.appendChild(badge(d.status));
      document.getElementById("device-last-seen").textContent = utc(d.last_seen);
      return;
    }
    if (page !== "fleet") return;
    var tbody = document.querySelector("#fleet-table tbody");
    var row = findRow(tbody, "data-device-id", d.device_id) ||
              newRow(tbody, "data-device-id", d.device_id, DEVICE_FIELDS, false);
    setCell(row, "device_id", [link("device", d.device_id)]);
    setCell(row, "status", [badge(d.status)]);
    setCell(row, "board", [d.board || "–"]);
    setCell(row, "cpu_model", [(d.cpu_model || "–") + (d.cpu_cores ? " ×" + d.cpu_cores : "")]);
    setCell(row, "os_release", [d.os_release || "–"]);
    var rt = Object.keys(d.runtimes || {}).map(function (k) { return k + " " + d.runtimes[k]; });
    setCell(row, "runtimes", [rt.join(", ") || "–"]);
    setCell(row, "last_seen", [utc(d.last_seen)]);
    var lr = d.last_result;
    setCell(row, "last_result", lr ? [link("run", lr.run_id),
      " " + (lr.model_name || "?") + " · p50 " + num(lr.latency_p50_ms) + " ms ",
      badge(lr.verdict, "verdict")] : ["–"]);
    flash(row);
    var online = tbody.querySelectorAll('td[data-field="status"] .badge.ok').length;
    var count = document.getElementById("online-count");
    if (count) count.textContent = String(online);
  }

  var RUN_FIELDS = ["run_id", "started_at", "device_id", "model_name", "backend", "threads",
                    "status", "verdict", "#latency_p50_ms", "#latency_p99_ms",
                    "#throughput_ips", "#mj_per_inference", "#peak_temp_c", "throttled"];

  function updateRun(r) {
    var body = document.body.dataset;
    if (body.page === "run") {
      if (r.run_id === body.run) {
        document.getElementById("run-status").textContent = r.status;
        refreshRun();
      }
      return;
    }
    var table = document.getElementById("runs-table");
    if (!table || (body.page === "device" && r.device_id !== body.device)) return;
    var tbody = table.tBodies[0];
    var row = findRow(tbody, "data-run-id", r.run_id);
    if (!row) {
      if (body.prepend !== "yes") return;
      row = newRow(tbody, "data-run-id", r.run_id, RUN_FIELDS, true);
      if (table.dataset.select === "yes") {
        var box = document.createElement("input");
        box.type = "checkbox"; box.name = "run"; box.value = r.run_id;
        var td = el("td");
        td.appendChild(box);
        row.insertBefore(td, row.firstChild);
      }
    }
    setCell(row, "run_id", [link("run", r.run_id)]);
    setCell(row, "started_at", [utc(r.started_at)]);
    setCell(row, "device_id", [link("device", r.device_id)]);
    ["model_name", "backend", "threads", "status"].forEach(function (f) {
      setCell(row, f, [r[f] === null || r[f] === undefined ? "–" : String(r[f])]);
    });
    setCell(row, "verdict", [badge(r.verdict, "verdict")]);
    ["latency_p50_ms", "latency_p99_ms", "throughput_ips", "peak_temp_c", "throttled"]
      .forEach(function (f) { setCell(row, f, [num(r[f])]); });
    setCell(row, "mj_per_inference", [num(r.mj_per_inference) +
      (r.mj_per_inference !== null && !r.energy_measured ? " est." : "")]);
    flash(row);
  }

  /* The run page redraws itself when its run changes (telemetry, result): it fetches its
   * own HTML again and swaps <main> and the chart data. The HTML is the server's escaped
   * rendering, parsed inertly by DOMParser (its scripts never run). At most one fetch
   * runs at a time, at most one per REFRESH_MS; on failure the "reload" notice shows. */
  var REFRESH_MS = 1000;
  var refresh = {busy: false, again: false, last: 0};

  function refreshRun() {
    if (refresh.busy) { refresh.again = true; return; }
    var wait = refresh.last + REFRESH_MS - Date.now();
    refresh.busy = true;
    window.setTimeout(function () {
      refresh.last = Date.now();
      fetch(window.location.href, {headers: {Accept: "text/html"}, cache: "no-store"})
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var main = doc.querySelector("main");
          var data = doc.getElementById("chart-data");
          if (!main || !data) throw new Error("not a run page");
          charts.forEach(function (chart) { chart.destroy(); });
          charts = [];
          document.querySelector("main").replaceWith(document.adoptNode(main));
          document.getElementById("chart-data").textContent = data.textContent;
          drawCharts();
          var body = document.body.dataset;
          body.liveRefreshes = String(Number(body.liveRefreshes || 0) + 1);
        })
        .catch(function () {
          var notice = document.getElementById("run-updated");
          if (notice) notice.hidden = false;
        })
        .finally(function () {
          refresh.busy = false;
          if (refresh.again) { refresh.again = false; refreshRun(); }
        });
    }, Math.max(0, wait));
  }

  function flash(row) {
    row.classList.remove("flash");
    void row.offsetWidth;  // restart the animation
    row.classList.add("flash");
  }

  function live() {
    var url = document.body.dataset.events;
    if (!url || !window.EventSource) return;
    var indicator = document.getElementById("live");
    var source = new EventSource(url);
    source.onopen = function () {
      document.body.dataset.liveState = "open";
      indicator.textContent = "live: on";
    };
    source.onerror = function () {
      document.body.dataset.liveState = "closed";
      indicator.textContent = "live: reconnecting";
    };
    source.addEventListener("change", function (event) {
      var change = JSON.parse(event.data);
      if (change.resync) { indicator.textContent = "live: missed updates, reload"; return; }
      (change.devices || []).forEach(updateDevice);
      (change.runs || []).forEach(updateRun);
      document.body.dataset.liveEvents = String(Number(document.body.dataset.liveEvents) + 1);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    try { drawCharts(); } finally { live(); }
  });
})();
