/* The dashboards' charts (Apache ECharts, vendored under static/vendor/echarts).
 *
 * The data is the page's JSON block (#dashboard-data); every number drawn is also in the table
 * beside its chart. Canvas renderer, tooltips drawn in the canvas (richText): the site's
 * Content-Security-Policy refuses the inline styles of ECharts' HTML tooltips. */
(function () {
  'use strict';
  var holder = document.getElementById('dashboard-data');
  if (!holder || typeof echarts === 'undefined') { return; }
  var data = JSON.parse(holder.textContent);
  var FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  var COLORS = ['#c0392b', '#1f5fa8', '#1b7a3a', '#b7791f', '#6b46c1', '#2c7a7b', '#9b2c2c', '#4a5568'];
  var byCode = {};
  data.windows.forEach(function (w) { byCode[w.code] = w; });

  function narrow() { return window.matchMedia('(max-width: 700px)').matches; }
  function fmt(v) { return v === null || v === undefined ? '—' : String(v); }
  function shortName(w) {
    var limit = narrow() ? 6 : 12;
    return w.name.length > limit ? w.name.slice(0, limit) + '…' : w.name;
  }
  function base() {
    return {
      color: COLORS,
      animationDuration: 300,
      textStyle: { fontFamily: FONT, fontSize: 13 },
      tooltip: { renderMode: 'richText', confine: true, textStyle: { fontFamily: FONT } },
      legend: { type: 'scroll', top: 0, textStyle: { fontFamily: FONT } },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true }
    };
  }
  function draw(name, build, onClick) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    if (!el) { return; }
    el.hidden = false;
    var chart = echarts.init(el, null, { renderer: 'canvas', locale: 'ZH' });
    chart.on('finished', function () { el.setAttribute('data-rendered', '1'); });
    var render = function () { chart.setOption(Object.assign(base(), build(el)), true); };
    render();
    if (onClick) { chart.on('click', onClick); }
    var wasNarrow = narrow();
    var resize = function () {
      if (narrow() !== wasNarrow) { wasNarrow = narrow(); render(); }
      chart.resize();
    };
    if (typeof ResizeObserver !== 'undefined') { new ResizeObserver(resize).observe(el); }
    window.addEventListener('resize', resize);
  }
  function goTo(code) {
    var w = byCode[code];
    if (w && w.url) { window.location.href = w.url; }
  }

  // Ranking: one bar per window, split into what each component adds to the composite.
  var ranked = data.windows.filter(function (w) { return w.composite !== null; });
  draw('ranking', function (el) {
    el.style.height = Math.max(240, 28 * ranked.length + 70) + 'px';
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, renderMode: 'richText', confine: true,
        formatter: function (params) {
          var w = byCode[params[0].name];
          var lines = [w.code + ' ' + w.name, '综合得分 ' + fmt(w.composite) + '（区内第 ' + fmt(w.rank_district) + ' 名）'];
          data.components.forEach(function (c) { lines.push(c.label + ' ' + fmt(w.components[c.key])); });
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
  draw('trend', function () {
    return {
      tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
      xAxis: { type: 'category', data: data.periods,
               axisLabel: { interval: 0, formatter: function (p) { return p.replace('年', '年\n'); } } },
      yAxis: { type: 'value', scale: true },
      series: data.trend.map(function (s) {
        return { name: s.name, type: 'line', data: s.values, symbolSize: 7, connectNulls: false };
      })
    };
  });

  // Distribution: windows per composite band.
  draw('bands', function () {
    return {
      tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
      legend: { show: false },
      xAxis: { type: 'category', data: data.bands.map(function (b) { return b.label; }),
               axisLabel: { interval: 0, rotate: narrow() ? 30 : 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: '窗口数', type: 'bar', barMaxWidth: 48, label: { show: true, position: 'top' },
                 data: data.bands.map(function (b) { return b.count; }) }]
    };
  });

  // Components: the mean of each component over the windows that have it, per group.
  draw('components', function () {
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, renderMode: 'richText', confine: true },
      xAxis: { type: 'category', data: data.components.map(function (c) { return c.label; }),
               axisLabel: { interval: 0 } },
      yAxis: { type: 'value', max: 100 },
      series: data.component_means.map(function (s) {
        return { name: s.name, type: 'bar', barMaxWidth: 28, data: s.values };
      })
    };
  });
}());
