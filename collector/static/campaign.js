/* edgebench campaign page: keeps the device × job matrix, counts, state, ETA and this
 * campaign's p50 per configuration current by polling GET /api/campaigns/<id> every two
 * seconds (no reload), until no job can change; asks before the Cancel form is sent.
 *
 * Safety: job states, errors and configurations go into the page with textContent and
 * attributes set through the DOM API, never as HTML.
 */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var FINAL_CAMPAIGN = {done: true, cancelled: true};

  function runUrl(matrix, runId) {
    return matrix.dataset.runUrl.replace("__ID__", encodeURIComponent(runId));
  }

  /* "running 40 %" while measuring with a known run count, else the phase. */
  function label(job, runs) {
    if (job.state !== "running") return job.state;
    var p = job.progress;
    if (!p) return "running";
    if (p.phase === "measure" && runs > 0) {
      return "running " + Math.min(100, Math.round(100 * p.done / runs)) + " %";
    }
    // No run count (min_secs decides), or not measuring yet: the phase and its count.
    return "running (" + p.phase + " " + p.done + ")";
  }

  function updateCell(matrix, cell, job, runs) {
    var text = label(job, runs);
    cell.className = "job state-" + job.state;
    cell.dataset.state = job.state;
    cell.title = cell.dataset.config + (job.error ? " — " + job.error : "");
    var inner;
    if (job.run_id) {
      inner = document.createElement("a");
      inner.href = runUrl(matrix, job.run_id);
    } else {
      inner = document.createElement("span");
    }
    inner.textContent = text;
    cell.replaceChildren(inner);
  }

  /* As the server's |utc filter writes it: "2026-12-03 05:58:39Z". */
  function utc(ts) {
    return new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19) + "Z";
  }

  /* As the server's |num filter: three significant digits, "–" when missing. */
  function num(value) {
    if (value === null || value === undefined || !isFinite(value)) return "–";
    if (value === 0) return "0";
    var decimals = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
    return value.toLocaleString("en-US", {minimumFractionDigits: decimals,
                                          maximumFractionDigits: decimals});
  }

  /* As the server's |duration filter: seconds, minutes or hours, through num. */
  function duration(seconds) {
    if (seconds < 120) return num(seconds) + " s";
    if (seconds < 7200) return num(seconds / 60) + " min";
    return num(seconds / 3600) + " h";
  }

  /* This campaign's column of the p50 table; rows are matched by their data-key (compared
   * as strings, never put into a selector). */
  function updateP50(configurations) {
    var rows = document.querySelectorAll("#p50-history tbody tr");
    var byKey = {};
    rows.forEach(function (row) { byKey[row.dataset.key] = row; });
    configurations.forEach(function (conf) {
      var key = [conf.device_id, conf.model, conf.backend, conf.threads || ""].join("|");
      var row = Object.prototype.hasOwnProperty.call(byKey, key) ? byKey[key] : null;
      var cell = row && row.querySelector("td[data-p50-current]");
      if (cell) cell.textContent = num(conf.p50_ms);
    });
  }

  function apply(c) {
    var matrix = document.getElementById("job-matrix");
    var runs = Number(matrix.dataset.runs) || 0;
    c.jobs.forEach(function (job) {
      var cell = matrix.querySelector('td[data-job-id="' + job.job_id + '"]');
      if (cell) updateCell(matrix, cell, job, runs);
    });
    Object.keys(c.counts).forEach(function (state) {
      var el = document.querySelector('#campaign-counts [data-count="' + state + '"] b');
      if (el) el.textContent = String(c.counts[state]);
    });
    var badge = document.getElementById("campaign-state");
    badge.textContent = c.state;
    badge.className = "badge campaign-" + c.state;
    var eta = document.getElementById("campaign-eta");
    eta.textContent = c.eta_s === null ? "–" : duration(c.eta_s) + " (about " + utc(c.eta_at) + ")";
    if (c.finished_at) document.getElementById("campaign-finished").textContent = utc(c.finished_at);
    if (c.run_ids.length) document.getElementById("compare-link").hidden = false;
    updateP50(c.configurations);
    var cancel = document.getElementById("cancel-campaign");
    if (cancel && FINAL_CAMPAIGN[c.state]) cancel.remove();  // CSS display beats [hidden]
  }

  /* Nothing can change once the campaign ended and no job is still out. */
  function settled(c) {
    return FINAL_CAMPAIGN[c.state] && !c.jobs.some(function (j) {
      return j.state === "sent" || j.state === "running";
    });
  }

  function poll(url) {
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (c) {
        apply(c);
        document.body.dataset.campaignPolls = String(Number(document.body.dataset.campaignPolls) + 1);
        if (settled(c)) {
          document.body.dataset.campaignLive = "no";
        } else {
          window.setTimeout(function () { poll(url); }, POLL_MS);
        }
      })
      .catch(function () {
        window.setTimeout(function () { poll(url); }, POLL_MS * 2);
      });
  }

  /* Each configuration's p50 over a daily campaign's repetitions, a line without axes
   * (the numbers are in the table beside it). */
  function sparklines() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas.spark").forEach(function (el) {
      var values = el.dataset.values.split(",").map(Number);
      new window.Chart(el, {
        type: "line",
        data: {labels: values.map(function (_v, i) { return i + 1; }),
               datasets: [{data: values, borderColor: "#2f6feb", borderWidth: 1.5,
                           pointRadius: 2, tension: 0}]},
        options: {responsive: false, animation: false,
                  plugins: {legend: {display: false}, tooltip: {enabled: false}},
                  scales: {x: {display: false}, y: {display: false}}}
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    sparklines();
    var cancel = document.getElementById("cancel-campaign");
    if (cancel) {
      cancel.addEventListener("submit", function (event) {
        if (!window.confirm("Cancel this campaign? Queued jobs will not run.")) event.preventDefault();
      });
    }
    var url = document.body.dataset.campaignApi;
    if (url && document.body.dataset.campaignLive === "yes") poll(url);
  });
})();
