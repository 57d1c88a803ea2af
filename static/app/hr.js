// The HR page's monthly turnover chart: leavers per month (voluntary, involuntary and
// not recorded, stacked) with the turnover rate as a line on its own axis. The figures
// come from the page (json_script "turnover-data"); the table below the chart has them too.
(function () {
  "use strict";
  const source = document.getElementById("turnover-data");
  const canvas = document.getElementById("turnover-chart");
  if (!source || !canvas) return;
  if (typeof window.Chart === "undefined") {
    // Chart.js is not served: the table carries the figures alone.
    canvas.closest("figure").hidden = true;
    return;
  }
  const data = JSON.parse(source.textContent);
  // The chart's words come with the figures, in the reader's language.
  const words = data.words;
  // Headroom above the tallest stack, so the rate line does not run along the bar tops.
  const mostLeavers = Math.max(
    0,
    ...data.labels.map((_, i) => data.voluntary[i] + data.involuntary[i] + data.unrecorded[i]),
  );
  const datasets = [
    { type: "bar", label: words.voluntary, data: data.voluntary, backgroundColor: "#0d6efd", stack: "leavers", yAxisID: "leavers", order: 2 },
    { type: "bar", label: words.involuntary, data: data.involuntary, backgroundColor: "#b5360a", stack: "leavers", yAxisID: "leavers", order: 2 },
  ];
  if (data.unrecorded.some((n) => n > 0)) {
    datasets.push({ type: "bar", label: words.unrecorded, data: data.unrecorded, backgroundColor: "#adb5bd", stack: "leavers", yAxisID: "leavers", order: 2 });
  }
  datasets.push({
    type: "line",
    label: words.rate,
    data: data.rate,
    borderColor: "#212529",
    backgroundColor: "#212529",
    yAxisID: "rate",
    spanGaps: true,
    order: 1,
  });
  new window.Chart(canvas, {
    data: { labels: data.labels, datasets: datasets },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true },
        leavers: {
          type: "linear",
          position: "left",
          stacked: true,
          beginAtZero: true,
          suggestedMax: mostLeavers + 1,
          ticks: { precision: 0 },
          title: { display: true, text: words.leavers },
        },
        rate: {
          type: "linear",
          position: "right",
          beginAtZero: true,
          grace: "25%",
          grid: { drawOnChartArea: false },
          ticks: { callback: (value) => value + "%" },
          title: { display: true, text: words.rate },
        },
      },
      plugins: {
        // The bars first, in the order they stack, then the rate line.
        legend: { labels: { sort: (a, b) => a.datasetIndex - b.datasetIndex } },
        tooltip: {
          callbacks: {
            label: (item) =>
              item.dataset.yAxisID === "rate"
                ? `${item.dataset.label}: ${item.parsed.y}%`
                : `${item.dataset.label}: ${item.parsed.y}`,
          },
        },
      },
    },
  });
})();
