// Hash routes (#/campaigns/<id>): the dashboard is one static page, so S3 and
// CloudFront need no rewrite rules and a reload keeps the owner where they were.

const routes = [];
let renderRoute = null;

/** route("/campaigns/:id", handler, {public: true}) */
export function route(pattern, handler, options = {}) {
  const names = [];
  const source = pattern.replace(/:([a-z]+)/g, (_, name) => {
    names.push(name);
    return "([^/]+)";
  });
  routes.push({ regex: new RegExp(`^${source}$`), names, handler, ...options });
}

/** The route matching a hash ("#/campaigns/abc?x=1"), with its params and query. */
export function match(hash) {
  const [path, search = ""] = (hash.replace(/^#/, "") || "/").split("?");
  for (const candidate of routes) {
    const found = candidate.regex.exec(path);
    if (found) {
      const params = {};
      candidate.names.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1]);
      });
      return { route: candidate, params, query: new URLSearchParams(search), path };
    }
  }
  return { route: null, params: {}, query: new URLSearchParams(search), path };
}

export function startRouter(render) {
  renderRoute = render;
  window.addEventListener("hashchange", () => renderRoute(match(location.hash)));
  renderRoute(match(location.hash));
}

export function navigate(hash, { replace = false } = {}) {
  if (location.hash === hash) {
    renderRoute?.(match(hash));
  } else if (replace) {
    history.replaceState(null, "", hash);
    renderRoute?.(match(hash));
  } else {
    location.hash = hash;
  }
}

/** Re-render the current route (after signing in or out). */
export function reload() {
  renderRoute?.(match(location.hash));
}
