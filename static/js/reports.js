// Reports: draws each <canvas data-chart="<id>"> with Chart.js from the JSON block of
// that id ({type, labels, datasets, indexAxis?, stacked?, max?}). The table beside each
// chart holds the same figures, so a chart that fails to draw loses nothing.
(function () {
  "use strict";

  var palette = ["#0a58ca", "#198754", "#b35c00", "#6f42c1", "#b02a37"];

  function draw(canvas) {
    var block = document.getElementById(canvas.getAttribute("data-chart"));
    if (!block || typeof window.Chart === "undefined") return;
    var spec = JSON.parse(block.textContent);
    var valueAxis = spec.indexAxis === "y" ? "x" : "y";
    var scales = {};
    scales[valueAxis] = { beginAtZero: true, stacked: !!spec.stacked };
    if (spec.max) scales[valueAxis].max = spec.max;
    scales[valueAxis === "x" ? "y" : "x"] = { stacked: !!spec.stacked };
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, i) {
          return Object.assign({ backgroundColor: palette[i % palette.length] }, set);
        }),
      },
      options: {
        indexAxis: spec.indexAxis || "x",
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  function start() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
