// The peoplesync console: one page, hash routes, every datum from the admin
// API. This module is the frame: navigation, sign-out, and drawing a route
// with the page it names.

import { ApiError, checkSession, session } from "./api.js";
import { h, fill, errorBox } from "./dom.js";
import { deliveriesPage } from "./pages/deliveries.js";
import { peoplePage, personPage, departmentsPage } from "./pages/directory.js";
import { pipelinesPage } from "./pages/pipelines.js";
import { requestsPage, requestPage } from "./pages/requests.js";
import { runsPage, runPage } from "./pages/runs.js";
import { route, link, go, drawRoutesWith } from "./routes.js";
import { signInPage, signOut } from "./signin.js";

const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
let rendering = 0;
let lastPath = null;

const pages = [
  ["pipelines", "Pipelines"], ["requests", "Webhook logs"], ["runs", "Runs"],
  ["people", "People"], ["departments", "Departments"], ["deliveries", "Deliveries"],
];

function frame(signedIn, current) {
  const nav = document.getElementById("nav");
  nav.hidden = !signedIn;
  document.getElementById("sign-out").hidden = !signedIn;
  if (!nav.childElementCount)
    nav.append(...pages.map(([path, label]) => h("a", { href: `#/${path}`, "data-page": path }, label)));
  for (const a of nav.querySelectorAll("a")) {
    if (a.dataset.page === current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

async function choosePage(r) {
  const [first, second] = r.segments;
  switch (first) {
    case "signin": return signInPage(r);
    case "pipelines": return pipelinesPage(r);
    case "requests": return second ? requestPage(r) : requestsPage(r);
    case "runs": return second ? runPage(r) : runsPage(r);
    case "people": return r.segments.length >= 4 ? personPage(r) : peoplePage(r);
    case "departments": return departmentsPage(r);
    case "deliveries": return deliveriesPage(r);
    default: throw new ApiError(404, `There is no page ${r.path}.`);
  }
}

async function render() {
  const r = route();
  const turn = ++rendering;
  const main = document.getElementById("main");
  const signingIn = r.segments[0] === "signin";
  if (!session.csrf && !(await checkSession()) && !signingIn) {
    if (turn === rendering) go(link("/signin", { then: location.hash }));
    return;
  }
  if (turn !== rendering) return;
  frame(Boolean(session.csrf) && !signingIn, r.segments[0]);
  const moved = lastPath !== location.hash;
  lastPath = location.hash;
  if (moved) fill(main, h("p", { class: "loading" }, "Loading…"));
  let content;
  try {
    content = await choosePage(r);
  } catch (error) {
    if (error.status === 401 && !session.csrf) return;
    content = [h("h1", null, "Something went wrong"), errorBox(error.message)];
  }
  if (turn !== rendering) return;
  fill(main, content);
  const heading = main.querySelector("h1");
  document.title = `${heading ? heading.textContent : "Console"} · peoplesync`;
  if (moved) {
    const focus = signingIn ? main.querySelector("input[type=password]") : heading;
    if (focus) {
      if (focus === heading) heading.setAttribute("tabindex", "-1");
      focus.focus();
    }
  }
}

function start() {
  drawRoutesWith(render);
  document.getElementById("sign-out").addEventListener("click", signOut);
  document.body.append(h("footer", { class: "bottom" }, `Times are shown in your time zone (${timeZone}).`));
  window.addEventListener("hashchange", render);
  render();
}

start();
