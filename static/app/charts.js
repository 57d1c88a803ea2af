/* Charts of the customer page and the manager dashboard. Each chart reads its figures
   from a <script type="application/json"> block written by the page (json_script), with
   the chart's words ("words") in the reader's language. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  Chart.defaults.animation = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function percentAxis(max) {
    return { beginAtZero: true, suggestedMax: max, ticks: { callback: function (v) { return v + "%"; } } };
  }

  var history = data("risk-history");
  if (history && document.getElementById("risk-chart")) {
    new Chart(document.getElementById("risk-chart"), {
      type: "line",
      data: {
        labels: history.labels,
        datasets: [{ label: history.words.probability, data: history.values, borderColor: "#a50e0e",
          backgroundColor: "rgba(165,14,14,0.08)", fill: true, pointRadius: 0, tension: 0.2 }]
      },
      options: { maintainAspectRatio: false, scales: { y: percentAxis(10) },
        plugins: { legend: { display: false } } }
    });
  }

  var churn = data("churn-data");
  if (churn && document.getElementById("churn-chart")) {
    new Chart(document.getElementById("churn-chart"), {
      type: "bar",
      data: {
        labels: churn.labels,
        datasets: [
          { label: churn.words.customers, data: churn.customers, backgroundColor: "#0d6efd" },
          { label: churn.words.revenue, data: churn.revenue, backgroundColor: "#b5360a" }
        ]
      },
      options: { maintainAspectRatio: false, scales: { y: percentAxis(2) } }
    });
  }

  var calibration = data("calibration-data");
  if (calibration && document.getElementById("calibration-chart")) {
    var colours = ["#0d6efd", "#b5360a", "#6c757d"];
    var top = 0;
    calibration.datasets.forEach(function (set) {
      set.points.forEach(function (p) { top = Math.max(top, p.x, p.y); });
    });
    var sets = calibration.datasets.map(function (set, i) {
      return { label: set.label, data: set.points, showLine: true, borderColor: colours[i % 3],
        backgroundColor: colours[i % 3] };
    });
    sets.push({ label: calibration.words.perfect, data: [{ x: 0, y: 0 }, { x: top, y: top }],
      showLine: true, pointRadius: 0, borderColor: "#adb5bd", borderDash: [4, 4] });
    new Chart(document.getElementById("calibration-chart"), {
      type: "scatter",
      data: { datasets: sets },
      options: { maintainAspectRatio: false, scales: {
        x: { title: { display: true, text: calibration.words.predicted }, beginAtZero: true },
        y: { title: { display: true, text: calibration.words.observed }, beginAtZero: true } } }
    });
  }

  var tiers = data("tier-data");
  if (tiers && document.getElementById("tier-chart")) {
    new Chart(document.getElementById("tier-chart"), {
      type: "bar",
      data: {
        labels: tiers.labels,
        datasets: [{ label: tiers.words.revenue_at_risk, data: tiers.values,
          backgroundColor: ["#a50e0e", "#b5360a", "#f8c146", "#b7dfc4", "#ced4da"] }]
      },
      options: { maintainAspectRatio: false, indexAxis: "y", plugins: { legend: { display: false } } }
    });
  }
})();
