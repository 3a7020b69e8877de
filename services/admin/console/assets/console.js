// hookline console: progressive enhancement only (every page works without it).
// Loaded from /console/assets (CSP script-src 'self'); no inline handlers anywhere.
(function () {
  'use strict';

  // Forms that change something important ask first.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    var question = form && form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) ev.preventDefault();
  });

  // Auto-refresh (overview): reload every N seconds unless the person is typing.
  var refresh = Number(document.body.getAttribute('data-refresh'));
  if (refresh > 0) {
    setInterval(function () {
      var a = document.activeElement;
      if (!a || !/^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) window.location.reload();
    }, refresh * 1000);
  }

  // Charts: <div class="chart" data-chart='{"title","unit","x":[unix s],"series":[{"label","values"}]}'>.
  // The numbers are also in the table next to each chart (screen readers, no JS).
  var COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
  function draw() {
    if (typeof window.uPlot !== 'function') return;
    var nodes = document.querySelectorAll('.chart[data-chart]');
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var spec;
      try {
        spec = JSON.parse(el.getAttribute('data-chart'));
      } catch (e) {
        continue;
      }
      if (!spec || !spec.x || spec.x.length < 2) continue;
      var series = [{}];
      var data = [spec.x];
      for (var j = 0; j < spec.series.length; j++) {
        series.push({
          label: spec.series[j].label,
          stroke: COLORS[j % COLORS.length],
          width: 2,
          spanGaps: true,
          points: { show: true, size: 4 },
        });
        data.push(spec.series[j].values);
      }
      el.textContent = '';
      new window.uPlot(
        {
          width: Math.max(260, el.clientWidth || 320),
          height: 160,
          series: series,
          axes: [
            {},
            {
              size: 56,
              values: function (u, v) {
                return v.map(function (n) {
                  return n + (spec.unit || '');
                });
              },
            },
          ],
          legend: { show: true },
        },
        data,
        el,
      );
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
