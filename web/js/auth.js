// The owner's session: Cognito tokens in memory and in sessionStorage (this tab only,
// gone when it closes; never a cookie). The ID token is refreshed before it expires;
// the app client rotates refresh tokens, so each refresh brings a new one.
// Sign-in may stop at a challenge: a TOTP code (SOFTWARE_TOKEN_MFA) or, when the user
// pool requires MFA, setting up an authenticator app first (MFA_SETUP).

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

/** fn(owner, reason) whenever the owner signs in or out (reason: "signed-in", "signed-out", "expired", "deleted"). */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Sign in with email and password. Null once signed in, or the challenge Cognito asks
 * for next: {name: "SOFTWARE_TOKEN_MFA"} (a code from the owner's authenticator app)
 * or {name: "MFA_SETUP", secretCode} (add this key to an authenticator app, then give
 * a code); answer it with answerChallenge(challenge, code).
 */
export async function signIn(email, password) {
  const data = await cognito(config, "InitiateAuth", {
    ClientId: config.cognito.clientId,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  return next(data, email);
}

/** Answer a sign-in challenge with a six-digit code: null once signed in, or the next challenge. */
export async function answerChallenge(challenge, code) {
  let session = challenge.session;
  if (challenge.name === "MFA_SETUP") {
    const verified = await cognito(config, "VerifySoftwareToken", {
      Session: session,
      UserCode: code,
      FriendlyDeviceName: "Soundlink",
    });
    if (verified.Status !== "SUCCESS") throw new CognitoError("CodeMismatchException", "");
    session = verified.Session;
  }
  const responses = { USERNAME: challenge.email };
  if (challenge.name === "SOFTWARE_TOKEN_MFA") responses.SOFTWARE_TOKEN_MFA_CODE = code;
  const data = await cognito(config, "RespondToAuthChallenge", {
    ClientId: config.cognito.clientId,
    ChallengeName: challenge.name,
    Session: session,
    ChallengeResponses: responses,
  });
  return next(data, challenge.email);
}

async function next(data, email) {
  if (data.AuthenticationResult) {
    store(fromResult(data.AuthenticationResult, null, email));
    notify("signed-in");
    return null;
  }
  const name = data.ChallengeName;
  if (name === "SOFTWARE_TOKEN_MFA") return { name, session: data.Session, email };
  if (name === "MFA_SETUP") {
    const associated = await cognito(config, "AssociateSoftwareToken", { Session: data.Session });
    return { name, session: associated.Session || data.Session, email, secretCode: associated.SecretCode };
  }
  if (name === "NEW_PASSWORD_REQUIRED") {
    // an account an administrator created
    throw new CognitoError(name, "This account needs a new password: use “Forgot your password?” to choose one.");
  }
  throw new CognitoError(name || "Challenge", `Sign-in asked for a step this dashboard cannot do (${name}).`);
}

/** The authenticator-app (TOTP) MFA of the signed-in owner: {enabled}. */
export async function totpStatus() {
  const user = await cognito(config, "GetUser", { AccessToken: await accessToken() });
  return { enabled: (user.UserMFASettingList || []).includes("SOFTWARE_TOKEN_MFA") };
}

/** Step 1 of turning TOTP on: the secret key to add to an authenticator app. */
export async function startTotpSetup() {
  const associated = await cognito(config, "AssociateSoftwareToken", { AccessToken: await accessToken() });
  return associated.SecretCode;
}

/** Step 2: a code from the app proves it holds the key; from the next sign-in Cognito asks for one. */
export async function finishTotpSetup(code) {
  const token = await accessToken();
  const verified = await cognito(config, "VerifySoftwareToken", {
    AccessToken: token,
    UserCode: code,
    FriendlyDeviceName: "Soundlink",
  });
  if (verified.Status !== "SUCCESS") throw new CognitoError("CodeMismatchException", "");
  await cognito(config, "SetUserMFAPreference", {
    AccessToken: token,
    SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
  });
}

/** Turn TOTP off (refused by Cognito when the user pool requires MFA). */
export async function turnOffTotp() {
  await cognito(config, "SetUserMFAPreference", {
    AccessToken: await accessToken(),
    SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
  });
}

/** End every session of the owner, in every browser (Cognito's GlobalSignOut), then forget this one. */
export async function signOutEverywhere() {
  await cognito(config, "GlobalSignOut", { AccessToken: await accessToken() });
  forget();
  notify("signed-out");
}

/** Change the signed-in owner's password (Cognito ChangePassword: the current one proves it is them). */
export async function changePassword(previous, proposed) {
  await cognito(config, "ChangePassword", {
    AccessToken: await accessToken(),
    PreviousPassword: previous,
    ProposedPassword: proposed,
  });
}

/** The account was deleted (DELETE /owner removed the Cognito user too): forget this session. */
export function accountDeleted() {
  forget();
  notify("deleted");
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

/**
 * Sign out: revoke this session's refresh token at Cognito (RevokeToken: it and the
 * access tokens issued from it stop working), then forget every token. The tokens are
 * forgotten whatever Cognito answers; {revoked: false, error} says it did not confirm.
 */
export async function signOut({ reason = "signed-out", revoke = true } = {}) {
  const refreshToken = session?.refreshToken;
  let outcome = { revoked: Boolean(revoke && refreshToken) };
  if (revoke && refreshToken) {
    try {
      await cognito(config, "RevokeToken", { ClientId: config.cognito.clientId, Token: refreshToken });
    } catch (error) {
      outcome = { revoked: false, error };
    }
  }
  forget();
  notify(reason);
  return outcome;
}

/** A valid access token for Cognito's own API (refreshed first when it is about to expire). */
async function accessToken() {
  if (!session) throw new CognitoError("NotAuthorizedException", "Sign in first.");
  if (session.expiresAt - Date.now() < MIN_VALIDITY_MS) await refresh();
  return session.accessToken;
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
      // With refresh-token rotation, Cognito refreshes through GetTokensFromRefreshToken
      // (not InitiateAuth) and answers with a new refresh token.
      const data = await cognito(config, "GetTokensFromRefreshToken", {
        ClientId: config.cognito.clientId,
        RefreshToken: refreshToken,
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
    // The rotated refresh token when Cognito sent one; else keep the one we have.
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
