/* The risk map's instant preview while a dimension weight slider moves (ui/preview.py builds its spec).

   A weight change reaches the map only after Streamlit has rerun the whole page (half a second on a laptop). The
   composite risk of a dimension-weight change is a small sum over the dimension scores the map already shows in
   its tooltips, so the map's frame recomputes it here, in the browser, as the slider moves, and recolours the
   wards at once; the server's run follows with the hot spots, tooltips and tables, and replaces the preview.

   The arithmetic repeats hotspots.scoring.RiskScorer.transform (the weighted mean or log1p geometric mean of the
   dimension scores available, clipped to 0..10) and hotspots.classify (quantiles as numpy.percentile's linear
   method, equal interval as numpy.arange fills, fixed thresholds; classes by searchsorted on the upper bounds,
   fewer classes spread over the five labels), operation for operation, so that the preview gives the server's
   classes (tests/test_preview.py compares them). Fisher-Jenks is not previewed (ui/preview.py sends no spec).

   The sliders are Streamlit's: the frame watches the page's `value` attribute of the range inputs inside the
   element containers Streamlit marks with the widgets' keys (class "st-key-<key>"). Where the page cannot be
   reached (another origin) or holds no such slider, nothing is previewed and the map waits for the server. */
window.hsPreview = (function () {
  'use strict';
  // hotspots.classify.label_levels(n, 5): the label of each of n classes
  var LEVELS = {1: [2], 2: [0, 4], 3: [0, 2, 4], 4: [0, 1, 3, 4], 5: [0, 1, 2, 3, 4]};
  var K = 5;

  function floats(base64) {  // little-endian float64, NaN for no score (ui/preview.py)
    var text = atob(base64), bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return new Float64Array(bytes.buffer);
  }

  // hotspots.scoring.RiskScorer.transform: the risk score from dimension scores and dimension weights
  function risk(scores, weights, geometric) {
    var n = scores[0].length, out = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var total = 0, wsum = 0;
      for (var d = 0; d < scores.length; d++) {
        var s = scores[d][i], w = isNaN(s) ? 0 : weights[d];
        total += w * (isNaN(s) ? 0 : (geometric ? Math.log1p(s) : s));
        wsum += w;
      }
      var r = geometric ? Math.exp(total / wsum) - 1 : total / wsum;
      out[i] = wsum > 0 ? Math.min(Math.max(r, 0), 10) : NaN;
    }
    return out;
  }

  // hotspots.scoring.RiskScorer.transform's dimension scores for indicator weights W: ten times the weighted mean
  // of each ward's available normalised indicator values in the dimension (NaN where none is available). A
  // dimension whose indicator weights are those of the drawn map keeps the server's scores. Null when a changed
  // dimension holds an indicator with weight whose values the app does not send (counts it suppresses somewhere):
  // the server's map follows.
  function dimensionScores(spec, scores, values, W) {
    var O = spec.others, out = [];
    for (var d = 0; d < scores.length; d++) {
      var members = [], changed = false;
      for (var i = 0; i < O.dim.length; i++) {
        if (O.dim[i] !== d) continue;
        members.push(i);
        if (Math.abs(W[i] - O.weights[i]) > 1e-9) changed = true;
      }
      if (!changed) { out.push(scores[d]); continue; }
      for (var m = 0; m < members.length; m++) if (W[members[m]] > 0 && !values[members[m]]) return null;
      var n = scores[d].length, dim = new Float64Array(n);
      for (var k = 0; k < n; k++) {
        var num = 0, den = 0;
        for (m = 0; m < members.length; m++) {
          var j = members[m], w = W[j];
          if (!(w > 0)) continue;
          var x = values[j][k];
          if (isNaN(x)) continue;
          num += w * x;
          den += w;
        }
        dim[k] = den > 0 ? 10.0 * num / den : NaN;
      }
      out.push(dim);
    }
    return out;
  }
  // Which dimensions have an indicator with weight (a dimension whose indicators all weigh 0 is switched off).
  function dimensionsOn(spec, W) {
    var on = [];
    for (var d = 0; d < spec.dims.length; d++) on.push(false);
    for (var i = 0; i < W.length; i++) if (W[i] > 0) on[spec.others.dim[i]] = true;
    return on;
  }

  function sortedValues(values) {
    var out = [];
    for (var i = 0; i < values.length; i++) if (!isNaN(values[i])) out.push(values[i]);
    return Float64Array.from(out).sort();
  }
  function unique(sorted) {
    var out = [];
    for (var i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(sorted[i]);
    return out;
  }
  function percentile(sorted, q) {  // numpy.percentile, method "linear"
    var n = sorted.length, at = (n - 1) * (q / 100);
    if (at >= n - 1) return sorted[n - 1];
    var lo = Math.floor(at), t = at - lo, a = sorted[lo], b = sorted[lo + 1], diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
  }

  // hotspots.classify: the upper class bounds of a scheme
  function bins(values, scheme, thresholds) {
    var sorted = sortedValues(values), n = sorted.length;
    if (!n) return [];
    if (scheme === 'quantiles') {
      var cuts = [];
      for (var q = 1; q <= K; q++) cuts.push(percentile(sorted, Math.min(q * (100 / K), 100)));
      return unique(Float64Array.from(cuts).sort());
    }
    if (scheme === 'equal_interval') {
      var lo = sorted[0], hi = sorted[n - 1];
      if (hi === lo) return [hi];
      var width = (hi - lo) / K, start = lo + width, stop = hi + width;
      var length = Math.min(Math.ceil((stop - start) / width), K), delta = (start + width) - start, out = [];
      for (var i = 0; i < length; i++) out.push(i === 0 ? start : start + i * delta);  // numpy.arange's fill
      out[out.length - 1] = hi;
      return out;
    }
    if (scheme === 'fixed') return thresholds.concat([Math.max(10, sorted[n - 1])]);
    return null;
  }

  // hotspots.classify._assign: one character per ward, '0'..'4' the label, '-' no data
  function codes(values, upper) {
    var levels = LEVELS[upper.length], out = new Array(values.length);
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (isNaN(v) || !levels) { out[i] = '-'; continue; }
      var j = 0;
      while (j < upper.length && upper[j] < v) j++;
      out[i] = String(levels[Math.min(j, upper.length - 1)]);
    }
    return out.join('');
  }

  function fmt(x) {  // hotspots.maps.views._fmt
    if (!isFinite(x)) return '\u2013';
    var text = x.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
    return text === '-0' ? '0' : text;
  }
  // hotspots.maps.views._score_view's legend
  function legend(title, upper, colors, nodata, note) {
    var levels = LEVELS[upper.length] || [], h = '<div class="hs-legend-title">' + title + '</div>';
    for (var i = 0; i < upper.length; i++) {
      var text = i === 0 ? '\u2264 ' + fmt(upper[i]) : fmt(upper[i - 1]) + ' \u2013 ' + fmt(upper[i]);
      h += '<div class="hs-row"><i style="background:' + colors[levels[i]] + '"></i>' + text + '</div>';
    }
    h += '<div class="hs-row"><i style="background:' + nodata + '"></i>No data</div>';
    return h + (note ? '<div class="hs-note">' + note + '</div>' : '');
  }

  // The values the page's sliders with these keys (st-key-<key> classes) show now (null: one is missing or unreadable).
  function sliderValues(doc, keys) {
    var out = [];
    for (var d = 0; d < keys.length; d++) {
      var input = doc.querySelector('.st-key-' + keys[d] + ' input[type="range"]');
      var value = input ? parseFloat(input.getAttribute('value')) : NaN;
      if (isNaN(value)) return null;
      out.push(value);
    }
    return out;
  }
  // The dimension weights the page's sliders show now (null: a slider is missing or unreadable).
  function sliderWeights(doc, spec) {
    return sliderValues(doc, spec.keys);
  }
  // What the page's weight sliders show now: {dims: dimension weights, inds: indicator weights or null when one
  // is unreadable} (null: a dimension slider is missing or unreadable).
  function sliderState(doc, spec) {
    var dims = sliderValues(doc, spec.keys);
    if (!dims) return null;
    var others = spec.others, inds = others && others.keys.length ? sliderValues(doc, others.keys) : null;
    return {dims: dims, inds: inds};
  }
  // Whether a slider state is the one the map was drawn with (indicators unreadable: as drawn).
  function atSpec(state, spec) {
    return same(state.dims, spec.weights) && (!state.inds || same(state.inds, spec.others.weights));
  }
  function sameState(a, b) {
    return same(a.dims, b.dims) && (a.inds === b.inds || same(a.inds, b.inds));
  }
  // Whether the page's weight sliders have moved on from the weights a map state was drawn with (its preview
  // spec): the app then has a newer run coming, and this state need not be drawn. False when unsure.
  function movedOn(doc, spec) {
    var now = sliderWeights(doc, spec);
    if (now && !same(now, spec.weights)) return true;
    var others = spec.others;
    if (!others || !others.keys.length) return false;
    var values = sliderValues(doc, others.keys);
    return !!values && !same(values, others.weights);
  }

  // The map data D with the composite layer recomputed from dimension scores and weights (null: nothing to
  // preview); "on" says which dimensions have an indicator with weight (default: the drawn map's).
  function previewData(D, spec, scores, weights, on) {
    var effective = [], any = false;
    on = on || spec.on;
    for (var d = 0; d < weights.length; d++) {
      effective.push(on[d] ? weights[d] : 0);
      if (effective[d] > 0) any = true;
    }
    if (!any) return null;  // every weight at 0: the app refuses it
    var values = risk(scores, effective, spec.aggregation === 'geometric');
    var upper = bins(values, spec.scheme, spec.thresholds);
    if (!upper || !upper.length) return null;
    var views = [];
    for (var v = 0; v < D.views.length; v++) {
      var view = D.views[v];
      if (view.column !== 'risk_score') { views.push(view); continue; }
      var next = {};
      for (var k in view) next[k] = view[k];
      next.cls = codes(values, upper);
      next.legend = legend(view.label, upper, view.colors, D.nodata, spec.note);
      views.push(next);
    }
    var out = {};
    for (var key in D) out[key] = D[key];
    out.views = views;
    return out;
  }

  function same(a, b) {
    if (!a || !b || a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-9) return false;
    return true;
  }

  // Watch the page's sliders; call apply(sliderState) on the next animation frame after one of them moved.
  function watch(doc, getSpec, apply) {
    var queued = false;
    var observer = new MutationObserver(function (records) {
      if (queued) return;
      for (var r = 0; r < records.length; r++) {
        var target = records[r].target;
        if (target.tagName === 'INPUT' && target.type === 'range') {
          queued = true;
          requestAnimationFrame(function () {
            queued = false;
            var spec = getSpec();
            var state = spec ? sliderState(doc, spec) : null;
            if (state) apply(state);
          });
          return;
        }
      }
    });
    observer.observe(doc.body, {subtree: true, attributes: true, attributeFilter: ['value']});
    return observer;
  }

  return {floats: floats, risk: risk, dimensionScores: dimensionScores, dimensionsOn: dimensionsOn, bins: bins,
          codes: codes, legend: legend, previewData: previewData, sliderWeights: sliderWeights,
          sliderState: sliderState, atSpec: atSpec, sameState: sameState, movedOn: movedOn, same: same, watch: watch};
})();
