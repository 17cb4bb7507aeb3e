/* edgebench frontier page: measured latency (or energy) against published top-1, as a scatter
 * per family with the 95 % intervals as whiskers, the Pareto front as a line and the budget as
 * a dashed vertical line. Data comes from the page's #frontier-data JSON (the /api/frontier
 * answer); model names are drawn on the canvas only, never put into the page as HTML.
 */
(function () {
  "use strict";

  var COLORS = ["#2f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285"];

  /* Horizontal whiskers from each point's interval (raw.low to raw.high). */
  var whiskers = {
    id: "whiskers",
    afterDatasetsDraw: function (chart) {
      var x = chart.scales.x, y = chart.scales.y, ctx = chart.ctx;
      ctx.save();
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.whiskers || !chart.isDatasetVisible(i)) return;
        ctx.strokeStyle = ds.borderColor;
        ds.data.forEach(function (p) {
          if (p.low === null || p.high === null) return;
          var py = y.getPixelForValue(p.y);
          ctx.beginPath();
          ctx.moveTo(x.getPixelForValue(p.low), py);
          ctx.lineTo(x.getPixelForValue(p.high), py);
          ctx.stroke();
        });
      });
      ctx.restore();
    }
  };

  function draw() {
    var el = document.getElementById("frontier-chart");
    var src = document.getElementById("frontier-data");
    if (!el || !src || !window.Chart) return;
    var data = JSON.parse(src.textContent);
    var families = {};
    data.points.forEach(function (p) {
      (families[p.family] = families[p.family] || []).push(
        {x: p.value, y: p.top1, low: p.low, high: p.high, name: p.model_name,
         threads: p.threads});
    });
    var datasets = Object.keys(families).sort().map(function (family, i) {
      return {label: family, data: families[family], showLine: false, whiskers: true,
              borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length],
              pointRadius: 4};
    });
    var byId = {};
    data.points.forEach(function (p) { byId[p.run_id] = p; });
    datasets.push({label: "Pareto front", showLine: true, pointRadius: 0, borderColor: "#333",
                   borderWidth: 1.5, data: data.front.map(function (id) {
                     return {x: byId[id].value, y: byId[id].top1};
                   })});
    var tops = data.points.map(function (p) { return p.top1; });
    var uppers = data.points.map(function (p) { return p.high === null ? p.value : p.high; });
    var lowers = data.points.map(function (p) { return p.low === null ? p.value : p.low; });
    var maxX = Math.max.apply(null, uppers) * 1.3;
    if (data.answer) {
      // A budget far beyond every run would squash the points: it stays off the axis then.
      var budget = data.answer.budget, shown = budget <= maxX * 4;
      if (shown) maxX = Math.max(maxX, budget * 1.15);
      datasets.push({label: "budget " + budget + " " + data.unit + (shown ? "" : " (off the axis)"),
                     showLine: true, pointRadius: 0, borderColor: "#c92a2a", borderDash: [6, 4],
                     borderWidth: 1,
                     data: [{x: budget, y: Math.min.apply(null, tops) - 1},
                            {x: budget, y: Math.max.apply(null, tops) + 1}]});
    }
    // Latency spans orders of magnitude across families, hence a logarithmic axis.
    var minX = Math.min.apply(null, lowers) / 1.3;
    new window.Chart(el, {
      type: "scatter",
      data: {datasets: datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: {
          x: {type: "logarithmic", min: minX, max: maxX,
              title: {display: true, text: data.label + " (" + data.unit + ", log scale)"}},
          y: {title: {display: true, text: "top-1 % (published, not measured)"}}
        },
        plugins: {tooltip: {callbacks: {label: function (item) {
          var p = item.raw;
          return (p.name || item.dataset.label) + ": " + p.x.toPrecision(3) + " " + data.unit +
                 ", " + p.y + " %";
        }}}}
      },
      plugins: [whiskers]
    });
    el.setAttribute("data-drawn", String(datasets.length));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
