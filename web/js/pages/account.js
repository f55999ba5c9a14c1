// The sign-in security part of #/settings: two-step sign-in with an authenticator app (TOTP),
// and signing out everywhere (settings.js mounts it on its page).

import { finishTotpSetup, signOutEverywhere, startTotpSetup, totpStatus, turnOffTotp } from "../auth.js";
import { cognitoField, cognitoMessage } from "../cognito.js";
import { refs } from "../dom.js";
import { clearErrors, showFieldError, showFormError, value, whileBusy } from "../forms.js";
import { announce } from "../status.js";
import { groups } from "./sign-in.js";

/** Wire the two-step sign-in and sessions controls of `page`; returns its cleanup. */
export function mountSignInSecurity(page) {
  const { status, pageError, setup, turnOff, form, secret, everywhere } = refs(page);
  let alive = true;

  function fail(error) {
    pageError.textContent = cognitoMessage(error);
    pageError.hidden = false;
  }

  async function show() {
    pageError.hidden = true;
    try {
      const { enabled } = await totpStatus();
      if (!alive) return;
      status.dataset.enabled = String(enabled);
      status.textContent = enabled
        ? "On: signing in asks for a code from your authenticator app."
        : "Off: signing in asks only for your password.";
      setup.hidden = enabled;
      turnOff.hidden = !enabled;
    } catch (error) {
      if (alive) fail(error);
    }
  }

  setup.addEventListener("click", async () => {
    setup.disabled = true;
    try {
      secret.textContent = groups(await startTotpSetup());
      form.hidden = false;
      setup.hidden = true;
      form.elements.code.focus();
    } catch (error) {
      fail(error);
    } finally {
      setup.disabled = false;
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const code = value(form, "code").replace(/\s+/g, "");
    if (!/^\d{6}$/.test(code)) {
      showFieldError(form, "code", "Enter the six digits your authenticator app shows.");
      form.elements.code.focus();
      return;
    }
    try {
      await whileBusy(form, "Checking…", () => finishTotpSetup(code));
      form.hidden = true;
      form.reset();
      announce("Two-step sign-in is on: from your next sign-in, Soundlink asks for a code from your app.");
      await show();
    } catch (error) {
      if (cognitoField(error) === "code") showFieldError(form, "code", "That code is not right. Enter the one your app shows now.");
      else showFormError(form, cognitoMessage(error));
    }
  });

  turnOff.addEventListener("click", async () => {
    turnOff.disabled = true;
    try {
      await turnOffTotp();
      announce("Two-step sign-in is off.");
      await show();
    } catch (error) {
      fail(error);
    } finally {
      turnOff.disabled = false;
    }
  });

  everywhere.addEventListener("click", async () => {
    everywhere.disabled = true;
    try {
      await signOutEverywhere(); // onSessionChange("signed-out") takes the owner to sign-in
    } catch (error) {
      fail(error);
      everywhere.disabled = false;
    }
  });

  show();
  return () => {
    alive = false;
  };
}
