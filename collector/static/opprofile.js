/* edgebench per-op charts: the run page's waterfall and per-type bars, and the compare page's
 * per-layer ratios. dashboard.js calls these with the page's chart data and keeps the Chart
 * instances (so a live redraw destroys them). Op names come from uploaded models: they are
 * drawn on the canvas only, never put into the page as HTML.
 */
(function () {
  "use strict";

  var TYPE_COLORS = ["#2f6feb", "#2b8a3e", "#e67700", "#862e9c", "#0b7285", "#5c940d",
                     "#364fc7", "#a61e4d"];
  var SLOW = "#c62828";
  var RUN_COLORS = ["#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c"];

  function canvas(name) {
    return document.querySelector('canvas[data-chart="' + name + '"]');
  }

  /* A colour per op type, in order of first appearance in the per-type list. */
  function typeColors(typeLabels) {
    var colors = {};
    typeLabels.forEach(function (t, i) { colors[t] = TYPE_COLORS[i % TYPE_COLORS.length]; });
    return colors;
  }

  function ms(v) { return Number(v).toPrecision(3) + " ms"; }

  /* Floating horizontal bars [start, end]: one row per op, the chart grows with the ops. */
  function waterfall(el, data) {
    var colors = typeColors(data.type_labels);
    el.parentNode.style.height = (50 + data.labels.length * 13) + "px";
    return new window.Chart(el, {
      type: "bar",
      data: {labels: data.labels, datasets: [{
        data: data.bars,
        backgroundColor: data.types.map(function (t, i) {
          return data.slow[i] ? SLOW : colors[t];
        }),
        barPercentage: 1.0, categoryPercentage: 0.85
      }]},
      options: {
        indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {legend: {display: false}, tooltip: {callbacks: {label: function (item) {
          var bar = item.raw;
          return "starts " + ms(bar[0]) + ", p50 " + ms(bar[1] - bar[0]) +
                 (data.slow[item.dataIndex] ? " (slow)" : "");
        }}}},
        scales: {x: {beginAtZero: true, title: {display: true, text: "ms (cumulative p50)"}},
                 y: {ticks: {autoSkip: false, font: {size: 10}}}}
      }
    });
  }

  function typeBars(el, data) {
    var colors = typeColors(data.type_labels);
    return new window.Chart(el, {
      type: "bar",
      data: {labels: data.type_labels, datasets: [{
        data: data.type_ms,
        backgroundColor: data.type_labels.map(function (t) { return colors[t]; })
      }]},
      options: {indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
                plugins: {legend: {display: false}},
                scales: {x: {beginAtZero: true, title: {display: true, text: "ms"}}}}
    });
  }

  /* Dashed horizontal lines at each run's whole-model ratio (options.plugins.modelRatio). */
  var modelRatioPlugin = {
    id: "modelRatio",
    afterDatasetsDraw: function (chart, _args, opts) {
      var area = chart.chartArea, y = chart.scales.y, ctx = chart.ctx;
      ctx.save();
      ctx.setLineDash([6, 4]);
      (opts.lines || []).forEach(function (line) {
        var py = y.getPixelForValue(line.value);
        ctx.strokeStyle = line.color;
        ctx.beginPath();
        ctx.moveTo(area.left, py);
        ctx.lineTo(area.right, py);
        ctx.stroke();
      });
      ctx.restore();
    }
  };

  /* Each op's ratio to the baseline, one bar series per compared run; highlighted layers
   * are outlined in black, the model's ratio is the dashed line of the run's colour. */
  function layerRatios(el, data) {
    var datasets = [], lines = [];
    data.series.forEach(function (s, i) {
      var color = RUN_COLORS[i % RUN_COLORS.length];
      datasets.push({label: s.label, data: s.ratios, backgroundColor: color,
                     borderColor: "#111", borderWidth: s.highlight.map(function (h) {
                       return h ? 2 : 0; })});
      if (s.model_ratio !== null) lines.push({value: s.model_ratio, color: color});
    });
    return new window.Chart(el, {
      type: "bar",
      data: {labels: data.labels, datasets: datasets},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                plugins: {modelRatio: {lines: lines}},
                scales: {y: {type: "logarithmic",
                             title: {display: true, text: "ratio to baseline (log)"}},
                         x: {ticks: {autoSkip: true, font: {size: 10}}}}},
      plugins: [modelRatioPlugin]
    });
  }

  window.EdgebenchOps = {
    /* Draw the run page's op charts; return the Chart instances. */
    run: function (data) {
      var drawn = [], el = canvas("op-waterfall"), types = canvas("op-types");
      if (el) drawn.push(waterfall(el, data));
      if (types) drawn.push(typeBars(types, data));
      return drawn;
    },
    /* Draw the compare page's per-layer ratios; return the Chart instances. */
    compare: function (data) {
      var el = canvas("layer-ratios");
      return el ? [layerRatios(el, data)] : [];
    }
  };
})();
