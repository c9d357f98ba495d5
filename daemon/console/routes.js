// Routes: #/path/segments?query. main.js says how a route is drawn; pages
// redraw through render() here, so that no page imports the frame.

let drawRoute = async () => {};

export function drawRoutesWith(draw) {
  drawRoute = draw;
}

export function render() {
  return drawRoute();
}

export function route() {
  const raw = location.hash.replace(/^#/, "") || "/pipelines";
  const at = raw.indexOf("?");
  const path = at < 0 ? raw : raw.slice(0, at);
  const params = new URLSearchParams(at < 0 ? "" : raw.slice(at + 1));
  return { path, segments: path.split("/").filter(Boolean).map(decodeURIComponent), params };
}

export function link(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {}))
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  const text = query.toString();
  return "#" + path + (text ? "?" + text : "");
}

export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}
