// The owner's session: Cognito tokens in memory and in sessionStorage (this tab only,
// gone when it closes; never a cookie). The ID token is refreshed before it expires.

import { cognito, CognitoError } from "./cognito.js";

const STORAGE_KEY = "soundlink.session";
const REFRESH_BEFORE_MS = 5 * 60 * 1000; // refresh this long before the ID token expires
const MIN_VALIDITY_MS = 60 * 1000; // a token with less left is refreshed before use

let config = null;
let session = null; // {email, idToken, accessToken, refreshToken, expiresAt}
let refreshTimer = null;
let refreshing = null;
const listeners = new Set();

export function initAuth(appConfig) {
  config = appConfig;
  session = restore();
  if (session && !session.refreshToken && session.expiresAt <= Date.now()) session = null;
  schedule();
}

/** {email, expiresAt} of the signed-in owner, or null. */
export function currentOwner() {
  return session ? { email: session.email, expiresAt: session.expiresAt } : null;
}

/** fn(owner, reason) whenever the owner signs in or out (reason: "signed-in", "signed-out", "expired"). */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export async function signIn(email, password) {
  const data = await cognito(config, "InitiateAuth", {
    ClientId: config.cognito.clientId,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  if (!data.AuthenticationResult) {
    // e.g. NEW_PASSWORD_REQUIRED for an account an administrator created
    throw new CognitoError(
      data.ChallengeName || "Challenge",
      "This account needs a new password: use “Forgot your password?” to choose one.",
    );
  }
  store(fromResult(data.AuthenticationResult, null, email));
  notify("signed-in");
}

export function signUp(email, password) {
  return cognito(config, "SignUp", {
    ClientId: config.cognito.clientId,
    Username: email,
    Password: password,
    UserAttributes: [{ Name: "email", Value: email }],
  });
}

export function confirmSignUp(email, code) {
  return cognito(config, "ConfirmSignUp", { ClientId: config.cognito.clientId, Username: email, ConfirmationCode: code });
}

export function resendConfirmation(email) {
  return cognito(config, "ResendConfirmationCode", { ClientId: config.cognito.clientId, Username: email });
}

export function forgotPassword(email) {
  return cognito(config, "ForgotPassword", { ClientId: config.cognito.clientId, Username: email });
}

export function confirmForgotPassword(email, code, password) {
  return cognito(config, "ConfirmForgotPassword", {
    ClientId: config.cognito.clientId,
    Username: email,
    ConfirmationCode: code,
    Password: password,
  });
}

/** Forget the tokens; by default also revoke them at Cognito (every session of the owner). */
export async function signOut({ reason = "signed-out", revoke = true } = {}) {
  const accessToken = session?.accessToken;
  forget();
  notify(reason);
  if (revoke && accessToken) {
    // Best effort: the tokens are gone from this browser whatever Cognito answers.
    await cognito(config, "GlobalSignOut", { AccessToken: accessToken }).catch(() => {});
  }
}

/** A valid ID token for the API (refreshed first when it is about to expire), or null. */
export async function idToken() {
  if (!session) return null;
  if (session.expiresAt - Date.now() < MIN_VALIDITY_MS) {
    try {
      await refresh();
    } catch {
      return session && session.expiresAt > Date.now() ? session.idToken : null;
    }
  }
  return session?.idToken ?? null;
}

/** New tokens from the refresh token (one request at a time). A refused refresh ends the session. */
export function refresh() {
  if (!session?.refreshToken) return Promise.reject(new CognitoError("NotAuthorizedException", "no session"));
  refreshing ??= (async () => {
    const { refreshToken, email } = session;
    try {
      const data = await cognito(config, "InitiateAuth", {
        ClientId: config.cognito.clientId,
        AuthFlow: "REFRESH_TOKEN_AUTH",
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      });
      if (session?.refreshToken !== refreshToken) return; // signed out (or in again) meanwhile
      store(fromResult(data.AuthenticationResult, refreshToken, email));
    } catch (error) {
      if (error instanceof CognitoError && error.type !== "NetworkError") {
        forget();
        notify("expired");
      } else {
        schedule(30 * 1000); // offline: try again soon, keep the session
      }
      throw error;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// ------------------------------------------------------------------ internals

/** The claims of a JWT (not verified: the API verifies it; this only reads exp and email). */
export function jwtClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), "=")))
        .map((ch) => "%" + ch.charCodeAt(0).toString(16).padStart(2, "0"))
        .join(""),
    );
    return JSON.parse(json);
  } catch {
    return {};
  }
}

function fromResult(result, previousRefreshToken, email) {
  const claims = jwtClaims(result.IdToken);
  const expiresAt = claims.exp ? claims.exp * 1000 : Date.now() + (result.ExpiresIn || 3600) * 1000;
  return {
    email: claims.email || email || "",
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    // Cognito sends no new refresh token on REFRESH_TOKEN_AUTH: keep the one we have.
    refreshToken: result.RefreshToken || previousRefreshToken,
    expiresAt,
  };
}

function store(next) {
  session = next;
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  } catch {
    // storage full or disabled: the session lives in memory only
  }
  schedule();
}

function forget() {
  session = null;
  clearTimeout(refreshTimer);
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}

function restore() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    return saved && typeof saved.idToken === "string" && typeof saved.expiresAt === "number" ? saved : null;
  } catch {
    return null;
  }
}

function schedule(delay) {
  clearTimeout(refreshTimer);
  if (!session?.refreshToken) return;
  const wait = delay ?? Math.max(0, session.expiresAt - Date.now() - REFRESH_BEFORE_MS);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), Math.min(wait, 2 ** 31 - 1));
}

function notify(reason) {
  for (const fn of listeners) fn(currentOwner(), reason);
}
