/* hotspots map: every ward layer, legend, tooltip and info box of one map (hotspots.maps.views).

   A function of the Leaflet map, the data object D and the encoded geometry GEOM (hotspots.maps.geometry);
   hotspots.maps.views calls it as (this function)(map, D, GEOM). Every string in D is HTML-escaped in Python.
   Folium may render the page's scripts through Jinja again: this file must never hold two braces in a row,
   a brace followed by a percent sign or a brace followed by a hash (tested). */
(function (map, D, GEOM) {
  'use strict';
  map.getContainer().classList.add('hs-map');
  if (D.compact) map.getContainer().classList.add('hs-compact');
  if (D.nolegend) map.getContainer().classList.add('hs-nolegend');  // one legend outside serves several maps
  var T = [], A = D.alphabet;
  for (var a = 0; a < A.length; a++) T[A.charCodeAt(a)] = a;
  function decode(s) {
    var wards = [], ward = [], poly = [], ring = [], i = 0, n = s.length, lat = 0, lng = 0, b, sh, r, c;
    while (i < n) {
      c = s.charCodeAt(i);
      if (c < 36) {
        poly.push(ring); ring = [];
        if (c !== 33) { ward.push(poly); poly = []; if (c === 32) { wards.push(ward); ward = []; } }
        i++; continue;
      }
      sh = 0; r = 0; do { b = T[s.charCodeAt(i++)]; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
      lat += (r & 1) ? ~(r >> 1) : (r >> 1);
      sh = 0; r = 0; do { b = T[s.charCodeAt(i++)]; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
      lng += (r & 1) ? ~(r >> 1) : (r >> 1);
      ring.push([lat / 1e5, lng / 1e5]);
    }
    poly.push(ring); ward.push(poly); wards.push(ward);
    return wards;
  }
  var shapes = decode(GEOM);
  function code(s, i) { var c = s.charCodeAt(i) - 48; return (c >= 0 && c <= 9) ? c : -1; }
  var current = D.views[0];
  function fillStyle(i) {
    var c = code(current.cls, i);
    return {stroke: true, color: D.line, weight: D.weight, opacity: 0.9, fill: true,
            fillColor: c >= 0 ? current.colors[c] : D.nodata, fillOpacity: D.opacity};
  }
  var wards = L.featureGroup();
  for (var i = 0; i < shapes.length; i++) {
    var p = L.polygon(shapes[i], fillStyle(i)); p._hs = i; wards.addLayer(p);
  }
  function cell(row, i) {
    if (row.num) { var v = row.num[i]; return (v === null || v === undefined) ? 'no data' : String(v); }
    return row.cats[row.codes[i]];
  }
  // The tooltip is a DOM element: streamlit-folium reports a click as content(layer).innerText, which the app
  // searches for "Ward ID: <id>" (the ID is followed by a line break).
  wards.bindTooltip(function (layer) {
    var i = layer._hs, d = document.createElement('div'), h = '<b>' + ((D.name && D.name[i]) || D.id[i]) + '</b><br>';
    h += '<span>Ward ID: ' + D.id[i] + '</span>\n<table>';
    for (var k = 0; k < D.rows.length; k++) {
      h += '<tr><th>' + D.rows[k].label + '</th><td>' + cell(D.rows[k], i) + '</td></tr>';
    }
    d.className = 'hs-tip'; d.innerHTML = h + '</table>';
    return d;
  }, {sticky: true});
  keepTooltipInside(wards.getTooltip());
  // Tooltips stay inside the frame: below the pointer in the top half of the map, above it in the bottom half,
  // then shifted back inside when still cut off (streamlit's iframe clips whatever sticks out).
  function keepTooltipInside(tip) {
    if (!tip || !tip._setPosition) return;
    var place = tip._setPosition;
    tip._setPosition = function (pos) {
      var at = map.layerPointToContainerPoint(pos), size = map.getSize();
      this.options.direction = at.y < size.y / 2 ? 'bottom' : 'top';
      place.call(this, pos);
      var el = this.getElement();
      if (!el) return;
      var frame = map.getContainer().getBoundingClientRect(), box = el.getBoundingClientRect(), dx = 0, dy = 0;
      if (box.right > frame.right - 4) dx = frame.right - 4 - box.right;
      if (box.left + dx < frame.left + 4) dx = frame.left + 4 - box.left;
      if (box.bottom > frame.bottom - 4) dy = frame.bottom - 4 - box.bottom;
      if (box.top + dy < frame.top + 4) dy = frame.top + 4 - box.top;
      if (dx || dy) L.DomUtil.setPosition(el, L.DomUtil.getPosition(el).add([dx, dy]));
    };
  }
  map.getContainer()._hsWards = wards;
  wards.on('mouseover', function (e) { e.layer.setStyle({weight: D.weight + 2, color: '#222'}); });
  wards.on('mouseout', function (e) { e.layer.setStyle({weight: D.weight, color: D.line}); });
  wards.addTo(map);
  var hot = D.hot ? L.featureGroup() : null;
  function drawHot() {
    for (var j = 0; j < shapes.length; j++) {
      var h = code(D.hot.cls, j);
      if (h < 0) continue;
      var st = D.hot.styles[h];
      if (st.halo) {  // a solid halo under the outline: one of the two stands out on every fill
        hot.addLayer(L.polygon(shapes[j], {fill: false, interactive: false, color: st.halo, weight: st.haloWeight,
                                            opacity: 1}));
      }
      hot.addLayer(L.polygon(shapes[j], {fill: false, interactive: false, color: st.color, weight: st.weight,
                                          dashArray: st.dashArray, opacity: 1}));
    }
  }
  if (hot) drawHot();
  var legend = L.control({position: 'bottomright'});
  legend.onAdd = function () { this._div = L.DomUtil.create('div', 'hs-box hs-legend'); this.update(); return this._div; };
  legend.update = function () {
    var h = current.legend;
    if (hot && map.hasLayer(hot)) { h += '<div class="hs-sep"></div>' + D.hot.legend; }
    this._div.innerHTML = h;
  };
  legend.addTo(map);
  var info = null;
  if (D.info) {
    info = L.control({position: 'bottomleft'});
    info.onAdd = function () { var d = L.DomUtil.create('div', 'hs-box hs-info'); d.innerHTML = D.info; return d; };
    info.addTo(map);
  }
  var base = {}, overlays = {};
  for (var v = 0; v < D.views.length; v++) {
    var g = L.layerGroup(); g._hsView = D.views[v]; base[D.views[v].label] = g;
    if (v === 0) g.addTo(map);
  }
  if (hot) { overlays[D.hot.label] = hot; if (D.hot.shown) hot.addTo(map); }
  if (D.views.length > 1 || hot) {
    L.control.layers(base, overlays, {collapsed: !!D.collapsed, position: 'topright'}).addTo(map);
  }
  map.on('baselayerchange', function (e) {
    if (!e.layer._hsView) return;
    current = e.layer._hsView;
    wards.eachLayer(function (p) { p.setStyle(fillStyle(p._hs)); });
    legend.update();
  });
  map.on('overlayadd overlayremove', function () { legend.update(); });
  legend.update();
  // Fit the wards into the part of the frame the legend (and the info box) leave free, when they leave enough;
  // again when the frame is resized (streamlit-folium sizes its frame after the script ran), until the user
  // moves the map.
  var fitting = false, moved = false;
  function fitFree() {
    var free = map.getSize().x, right = legend.getContainer().offsetWidth + 12;
    var left = info ? info.getContainer().offsetWidth + 12 : 8;
    if (!D.bounds || free <= 0) return;
    if (left + right > 0.5 * free) left = 8;
    if (right > 0.4 * free) right = 8;
    fitting = true;
    map.fitBounds(D.bounds, {paddingTopLeft: [left, 8], paddingBottomRight: [right, 8], animate: false});
    fitting = false;
  }
  fitFree();
  map.on('dragstart zoomstart', function () { if (!fitting) moved = true; });  // not movestart: resizing pans
  map.on('resize', function () { if (!moved) fitFree(); });
  map.getContainer().setAttribute('data-hs-wards', String(wards.getLayers().length));
  // New data for the same wards and layers (a weight change): restyle the drawn polygons, redraw the Gi* outlines,
  // legend and info box; the map, its view and the layer chosen stay. False when the layers differ: draw anew.
  function update(D2) {
    if (D2.id.length !== D.id.length || D2.views.length !== D.views.length || !D2.hot !== !D.hot ||
        !D2.info !== !D.info || (D2.hot && D2.hot.label !== D.hot.label)) return false;
    for (var u = 0; u < D2.views.length; u++) if (D2.views[u].label !== D.views[u].label) return false;
    var at = D.views.indexOf(current), before = current, hotBefore = D.hot && D.hot.cls;
    D = D2;
    current = D.views[at < 0 ? 0 : at];
    for (var w = 0; w < D.views.length; w++) base[D.views[w].label]._hsView = D.views[w];
    // only the wards whose class (or class colour) changed are restyled: a weight change moves a few wards
    var sameColors = before.colors.join() === current.colors.join();
    wards.eachLayer(function (p) {
      if (!sameColors || before.cls.charCodeAt(p._hs) !== current.cls.charCodeAt(p._hs)) p.setStyle(fillStyle(p._hs));
    });
    if (hot && D.hot.cls !== hotBefore) { hot.clearLayers(); drawHot(); }
    if (info) info.getContainer().innerHTML = D.info;
    legend.update();
    return true;
  }
  return {wards: wards, update: update};
})
