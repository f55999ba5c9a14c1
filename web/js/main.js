// Start the dashboard: settings, session, routes.

import { initApi, ownerSettings } from "./api.js";
import { currentOwner, initAuth, onSessionChange, signOut } from "./auth.js";
import { cognitoMessage } from "./cognito.js";
import { loadConfig } from "./config.js";
import { el, refs } from "./dom.js";
import { useTimeZone } from "./format.js";
import { setPage } from "./page.js";
import { renderCampaign } from "./pages/campaign.js";
import { renderCampaignForm } from "./pages/campaign-form.js";
import { renderCampaigns } from "./pages/campaigns.js";
import { renderConfirm, renderSignUp } from "./pages/sign-up.js";
import { renderForgot, renderReset } from "./pages/password-reset.js";
import { renderNotFound } from "./pages/not-found.js";
import { renderSettings } from "./pages/settings.js";
import { renderSignIn } from "./pages/sign-in.js";
import { match, navigate, reload, route, startRouter } from "./router.js";
import { takeSpotifyReturn } from "./spotify-return.js";
import { announce, clearStatus, initStatus } from "./status.js";

const RETURN_KEY = "soundlink.returnTo";
const shell = refs(document.body);

route("/", null, { redirect: "#/campaigns" });
route("/sign-in", renderSignIn, { public: true, guestOnly: true });
route("/sign-up", renderSignUp, { public: true, guestOnly: true });
route("/confirm", renderConfirm, { public: true, guestOnly: true });
route("/forgot-password", renderForgot, { public: true, guestOnly: true });
route("/reset-password", renderReset, { public: true, guestOnly: true });
route("/campaigns", renderCampaigns);
route("/campaigns/new", renderCampaignForm);
route("/campaigns/:id", renderCampaign);
route("/campaigns/:id/edit", renderCampaignForm);
route("/settings", renderSettings);
route("/account", null, { redirect: "#/settings" }); // the page's name before Settings held it

function show(found) {
  const owner = currentOwner();
  if (!found.route) return setPage(shell.main, renderNotFound, found);
  if (found.route.redirect) return navigate(found.route.redirect, { replace: true });
  if (!found.route.public && !owner) {
    rememberReturn(location.hash);
    return navigate("#/sign-in", { replace: true });
  }
  if (found.route.guestOnly && owner) return navigate("#/campaigns", { replace: true });
  return setPage(shell.main, found.route.handler, found);
}

function rememberReturn(hash) {
  if (!hash || hash.startsWith("#/sign-in")) return;
  try {
    sessionStorage.setItem(RETURN_KEY, hash);
  } catch {
    // not remembered
  }
}

function takeReturn() {
  try {
    const hash = sessionStorage.getItem(RETURN_KEY);
    sessionStorage.removeItem(RETURN_KEY);
    return hash && hash.startsWith("#/") && match(hash).route && !match(hash).route.public ? hash : null;
  } catch {
    return null;
  }
}

function showAccount(owner) {
  shell.account.hidden = !owner;
  shell.accountEmail.textContent = owner?.email ?? "";
}

/** The owner's time zone for every date shown; unset or unreadable: the browser's (named too). */
async function loadPreferences() {
  try {
    useTimeZone((await ownerSettings())?.time_zone);
  } catch {
    useTimeZone(null);
  }
}

onSessionChange(async (owner, reason) => {
  showAccount(owner);
  if (reason === "signed-in") {
    clearStatus();
    await loadPreferences();
    navigate(takeReturn() ?? "#/campaigns", { replace: true });
  } else if (reason === "expired") {
    rememberReturn(location.hash);
    announce("Your session has ended. Sign in again to continue.", { sticky: true });
    navigate("#/sign-in", { replace: true });
  } else if (reason === "signed-out") {
    useTimeZone(null);
    announce("You are signed out.");
    navigate("#/sign-in", { replace: true });
  } else if (reason === "deleted") {
    useTimeZone(null);
    announce("Your account and everything it owned are deleted. Goodbye, and thank you for using Soundlink.", {
      sticky: true,
    });
    navigate("#/sign-in", { replace: true });
  }
});

async function start() {
  initStatus(shell.status);
  shell.signOut.addEventListener("click", async () => {
    const outcome = await signOut();
    if (outcome.error) {
      // The tokens are gone from this tab, but Cognito did not confirm the revocation.
      announce(
        `You are signed out of this tab, but Cognito did not confirm that the session ended (${cognitoMessage(outcome.error)}). ` +
          "To be sure, sign in and use “Sign out everywhere” on your Settings page.",
        { sticky: true, error: true },
      );
    }
  });
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    shell.main.replaceChildren(
      el("section", { class: "card narrow" }, el("h1", { text: "Soundlink is unavailable" }), el("p", { text: error.message })),
    );
    return;
  }
  initAuth(config);
  initApi(config);
  showAccount(currentOwner());
  if (currentOwner()) await loadPreferences();
  const returned = takeSpotifyReturn();
  if (returned) {
    announce(returned.message, { sticky: true, error: returned.declined });
    if (returned.hash) history.replaceState(null, "", returned.hash);
  }
  startRouter(show);
  // Hash changes re-render through the router; a session restored in another way re-renders here.
  window.addEventListener("pageshow", (event) => event.persisted && reload());
}

start();
