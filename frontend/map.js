// The SPA's map (focus areas): a thin layer over Leaflet, which Trunk copies from the npm
// registry's package into the build. The WebAssembly side calls window.crmMap. Background tiles
// are optional: when they cannot load, the polygons still draw over the plain background.
window.crmMap = (function () {
  "use strict";
  const maps = {};

  function open(id, tiles) {
    const el = document.getElementById(id);
    if (!el || typeof L === "undefined") return false;
    if (maps[id]) maps[id].map.remove();
    const map = L.map(el, { doubleClickZoom: false }).setView([59.33, 18.06], 10);
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: "© OpenStreetMap contributors" }).addTo(map);
    }
    const layer = L.geoJSON(null, {
      style: (f) => ({
        color: (f.properties && f.properties.color) || "#2563eb",
        weight: 2,
        fillOpacity: 0.15,
      }),
      onEachFeature: (f, l) => {
        if (f.properties && f.properties.name) l.bindTooltip(f.properties.name);
      },
    }).addTo(map);
    maps[id] = { map, layer, points: [], preview: null };
    return true;
  }

  // Shows a FeatureCollection (JSON text) and fits the view to it.
  function show(id, collection) {
    const m = maps[id];
    if (!m) return;
    m.layer.clearLayers();
    const data = JSON.parse(collection);
    m.layer.addData(data);
    if (data.features && data.features.length) {
      m.map.fitBounds(m.layer.getBounds(), { padding: [20, 20] });
    }
  }

  function redraw(m) {
    if (m.preview) m.map.removeLayer(m.preview);
    m.preview = m.points.length
      ? L.polygon(m.points, { color: "#dc2626", weight: 2, dashArray: "4" }).addTo(m.map)
      : null;
  }

  function onClick(e) {
    const m = this;
    m.points.push([e.latlng.lat, e.latlng.lng]);
    redraw(m);
  }

  // Each click on the map adds a corner of a new polygon.
  function startDrawing(id) {
    const m = maps[id];
    if (!m) return;
    cancelDrawing(id);
    m.handler = onClick.bind(m);
    m.map.on("click", m.handler);
    m.map.getContainer().style.cursor = "crosshair";
  }

  function stop(m) {
    if (m.handler) m.map.off("click", m.handler);
    m.handler = null;
    m.map.getContainer().style.cursor = "";
    const points = m.points;
    m.points = [];
    redraw(m);
    return points;
  }

  // Ends drawing: the polygon as GeoJSON text (longitude first, the ring closed), or "" when
  // fewer than three corners were set.
  function finishDrawing(id) {
    const m = maps[id];
    if (!m) return "";
    const points = stop(m);
    if (points.length < 3) return "";
    const ring = points.map((p) => [p[1], p[0]]);
    ring.push(ring[0]);
    return JSON.stringify({ type: "Polygon", coordinates: [ring] });
  }

  function cancelDrawing(id) {
    const m = maps[id];
    if (m) stop(m);
  }

  // How many corners the polygon being drawn has.
  function corners(id) {
    const m = maps[id];
    return m ? m.points.length : 0;
  }

  return { open, show, startDrawing, finishDrawing, cancelDrawing, corners };
})();
