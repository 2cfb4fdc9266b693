/* The dashboards' charts (admin_web/dashboard.py): ranking, trend, distribution, components.
 * Needs charts.js; the data is the page's #dashboard-data block. */
(function () {
  'use strict';
  var C = window.wwCharts;
  var data = C && C.data('dashboard-data');
  if (!data) { return; }
  var byCode = {};
  data.windows.forEach(function (w) { byCode[w.code] = w; });
  function shortName(w) {
    var limit = C.narrow() ? 6 : 12;
    return w.name.length > limit ? w.name.slice(0, limit) + '…' : w.name;
  }
  function goTo(code) {
    var w = byCode[code];
    if (w && w.url) { window.location.href = w.url; }
  }

  // Ranking: one bar per window, split into what each component adds to the composite.
  var ranked = data.windows.filter(function (w) { return w.composite !== null; });
  var SHOWN = 30;  // more windows scroll inside the chart (slider, wheel, touch); the table has all
  C.draw('ranking', function (el) {
    var zoom = ranked.length > SHOWN;
    el.style.height = Math.max(240, 28 * Math.min(ranked.length, SHOWN) + 70) + 'px';
    return {
      grid: { left: 8, right: zoom ? 36 : 16, top: 36, bottom: 8, containLabel: true },
      dataZoom: zoom ? [{ type: 'slider', yAxisIndex: 0, startValue: 0, endValue: SHOWN - 1, right: 4,
                          width: 18, showDetail: false, zoomLock: true, brushSelect: false },
                        { type: 'inside', yAxisIndex: 0, zoomLock: true, moveOnMouseWheel: true,
                          zoomOnMouseWheel: false }] : [],
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: function (params) {
          var w = byCode[params[0].name];
          var lines = [w.code + ' ' + w.name,
            '综合得分 ' + C.fmt(w.composite) + '（区内第 ' + C.fmt(w.rank_district) + ' 名）'];
          data.components.forEach(function (c) { lines.push(c.label + ' ' + C.fmt(w.components[c.key])); });
          if (w.deduction) { lines.push('重大事件扣分 −' + w.deduction); }
          return lines.join('\n');
        } },
      xAxis: { type: 'value', max: 100 },
      yAxis: { type: 'category', inverse: true, triggerEvent: true,
               data: ranked.map(function (w) { return w.code; }),
               axisLabel: { formatter: function (code) { return shortName(byCode[code]); } } },
      series: data.components.map(function (c) {
        return { name: c.label, type: 'bar', stack: 'composite', barMaxWidth: 22,
                 data: ranked.map(function (w) { return w.contributions[c.key]; }) };
      })
    };
  }, function (p) { goTo(p.componentType === 'yAxis' ? p.value : p.name); });

  // Trend: the mean composite of the windows shown, and of each industry, per period.
  C.draw('trend', function () {
    return {
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: data.periods,
               axisLabel: { interval: 0, formatter: function (p) { return p.replace('年', '年\n'); } } },
      yAxis: { type: 'value', scale: true },
      series: data.trend.map(function (s, i) {
        // The first line is every window shown: drawn heavier than the industries' lines.
        return { name: s.name, type: 'line', data: s.values, symbolSize: 7, connectNulls: false,
                 lineStyle: { width: i === 0 && data.trend.length > 1 ? 4 : 2 } };
      })
    };
  });

  // Distribution: windows per composite band.
  C.draw('bands', function () {
    return {
      tooltip: { trigger: 'axis' },
      legend: { show: false },
      xAxis: { type: 'category', data: data.bands.map(function (b) { return b.label; }),
               axisLabel: { interval: 0, rotate: C.narrow() ? 30 : 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: '窗口数', type: 'bar', barMaxWidth: 48, label: { show: true, position: 'top' },
                 data: data.bands.map(function (b) { return b.count; }) }]
    };
  });

  // Components: the mean of each component over the windows that have it, per group.
  C.draw('components', function () {
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: data.components.map(function (c) { return c.label; }),
               axisLabel: { interval: 0 } },
      yAxis: { type: 'value', max: 100 },
      series: data.component_means.map(function (s) {
        return { name: s.name, type: 'bar', barMaxWidth: 28, data: s.values };
      })
    };
  });
}());
