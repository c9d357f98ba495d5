// The admin API, called with the session cookie and, for changes, its CSRF token.

import { link, go } from "./routes.js";

export const session = { csrf: null, passwordSignIn: false };

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, `peoplesyncd did not answer (${error.message}); is it running?`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (error) {
    data = null;
  }
  if (!response.ok) {
    const message = (data && data.error) || `${response.status} ${response.statusText}`;
    if (response.status === 401 && path.startsWith("/admin/")) sessionEnded();
    throw new ApiError(response.status, message);
  }
  return data;
}

function sessionEnded() {
  if (!session.csrf) return;
  session.csrf = null;
  const here = location.hash;
  go(link("/signin", { ended: "1", then: here.startsWith("#/signin") ? "" : here }));
}

// Whether the cookie's session lives; when not, whether a console password can sign in.
export async function checkSession() {
  try {
    const answer = await fetch("/console/session", { credentials: "same-origin", cache: "no-store" });
    const body = await answer.json();
    session.csrf = answer.ok ? body.csrf_token : null;
    session.passwordSignIn = Boolean(body.password_sign_in);
  } catch (error) {
    session.csrf = null;
  }
  return Boolean(session.csrf);
}
