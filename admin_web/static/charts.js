/* What every page with charts shares (Apache ECharts, vendored under static/vendor/echarts):
 * the chart data is the page's JSON block, never run; every number drawn is also in a table on
 * the page. Canvas renderer, tooltips drawn in the canvas (richText): the site's
 * Content-Security-Policy refuses the inline styles of ECharts' HTML tooltips. */
window.wwCharts = (function () {
  'use strict';
  var FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  var COLORS = ['#c0392b', '#1f5fa8', '#1b7a3a', '#b7791f', '#6b46c1', '#2c7a7b', '#9b2c2c', '#4a5568'];

  function narrow() { return window.matchMedia('(max-width: 700px)').matches; }
  function fmt(v) { return v === null || v === undefined ? '—' : String(v); }
  function data(id) {
    var holder = document.getElementById(id);
    return holder && typeof echarts !== 'undefined' ? JSON.parse(holder.textContent) : null;
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
  /* Draw the chart of the element [data-chart=name] with build(el)'s option over base(); show it,
   * mark it data-rendered when drawn, redraw on a phone/desktop switch, resize with its box. */
  function draw(name, build, onClick) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    if (!el) { return; }
    el.hidden = false;
    var chart = echarts.init(el, null, { renderer: 'canvas', locale: 'ZH' });
    chart.on('finished', function () { el.setAttribute('data-rendered', '1'); });
    var render = function () {
      var option = build(el);
      if (option.tooltip) { option.tooltip = Object.assign(base().tooltip, option.tooltip); }
      chart.setOption(Object.assign(base(), option), true);
    };
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
  return { narrow: narrow, fmt: fmt, data: data, draw: draw };
}());
