/* The rating report's charts (reports/report.html): the monthly trend and the five-level
 * distribution. Needs charts.js; the data is the page's #report-charts block. The PDF draws the
 * same figures with reportlab. */
(function () {
  'use strict';
  var C = window.wwCharts;
  var data = C && C.data('report-charts');
  if (!data) { return; }
  var LEVEL_COLORS = { 5: '#1b7a3a', 4: '#68a357', 3: '#b7791f', 2: '#d9822b', 1: '#b00020' };

  C.draw('months', function () {
    return {
      color: ['#1f5fa8', '#b00020', '#c0392b'],
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: data.months.map(function (m) { return m.label; }),
               axisLabel: { interval: 0 } },
      yAxis: [{ type: 'value', minInterval: 1, name: '条', nameGap: 8 },
              { type: 'value', min: 1, max: 5, interval: 1, name: '平均分', nameGap: 8,
                splitLine: { show: false } }],
      grid: { left: 8, right: 8, top: 56, bottom: 8, containLabel: true },
      series: [
        { name: '计分评价', type: 'bar', barMaxWidth: 28, data: data.months.map(function (m) { return m.ratings; }) },
        { name: '差评', type: 'bar', barMaxWidth: 28, data: data.months.map(function (m) { return m.bad; }) },
        { name: '平均分', type: 'line', yAxisIndex: 1, symbolSize: 7, connectNulls: false,
          data: data.months.map(function (m) { return m.mean; }) }
      ]
    };
  });

  C.draw('distribution', function () {
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { show: false },
      xAxis: { type: 'category', data: data.distribution.map(function (d) { return d.label; }),
               axisLabel: { interval: 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: '计分评价', type: 'bar', barMaxWidth: 48, label: { show: true, position: 'top' },
                 data: data.distribution.map(function (d) {
                   return { value: d.count, itemStyle: { color: LEVEL_COLORS[d.level] } };
                 }) }]
    };
  });
}());
