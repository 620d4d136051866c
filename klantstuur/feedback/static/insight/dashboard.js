/* Insight dashboard charts (Chart.js, vendored). Data comes from the page's json_script. */
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("insight-charts");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    // Numbers on the axes and in tooltips in the page's language (#14), not the browser's.
    window.Chart.defaults.locale = document.documentElement.lang || "nl";
    var s = data.series, L = data.labels;
    var trend = document.getElementById("chart-trend");
    if (trend) {
      new Chart(trend, {
        data: {
          labels: s.days,
          datasets: [
            { type: "line", label: L.ei, data: s.ei, borderColor: "#0f766e", yAxisID: "y", spanGaps: true, tension: 0.2 },
            { type: "line", label: L.avg, data: s.avg, borderColor: "#a3a3a3", borderDash: [4, 4], yAxisID: "y", spanGaps: true, tension: 0.2 },
            { type: "bar", label: L.contacts_per_need, data: s.contacts_per_need, backgroundColor: "rgba(217,119,6,.35)", yAxisID: "y2" }
          ]
        },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          scales: { y: { min: 0, max: 1 }, y2: { position: "right", min: 0, grid: { drawOnChartArea: false } } }
        }
      });
    }
    var hours = document.getElementById("chart-hours");
    if (hours) {
      new Chart(hours, {
        data: {
          labels: data.hours.labels,
          datasets: [
            { type: "bar", label: L.minutes, data: data.hours.minutes, backgroundColor: "rgba(15,118,110,.6)", yAxisID: "y" },
            { type: "line", label: L.contacts, data: data.hours.contacts, borderColor: "#7c3aed", pointRadius: 0, yAxisID: "y2" }
          ]
        },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          scales: { x: { ticks: { maxTicksLimit: 14 } }, y: { min: 0 }, y2: { position: "right", min: 0, grid: { drawOnChartArea: false } } }
        }
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
