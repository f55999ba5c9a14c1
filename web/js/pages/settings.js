// #/settings: time zone and currency, password, two-step sign-in and sessions (account.js),
// the listeners' privacy page, and deleting the account.

import { apiBase, deleteAccount, ownerSettings, saveOwnerSettings } from "../api.js";
import { accountDeleted, changePassword, currentOwner } from "../auth.js";
import { cognitoField, cognitoMessage } from "../cognito.js";
import { el, fromTemplate, refs } from "../dom.js";
import { displayZone, useTimeZone } from "../format.js";
import { clearErrors, focusFirstInvalid, showApiErrors, showFieldError, showFormError, value, whileBusy } from "../forms.js";
import { setTitle } from "../page.js";
import { announce } from "../status.js";
import { mountSignInSecurity } from "./account.js";
import { passwordProblem } from "./password-policy.js";

/** The zones to offer: this browser's IANA list, with UTC and `keep` (a stored zone) in it. */
export function zoneChoices(supported, keep) {
  const zones = new Set(supported);
  zones.add("UTC");
  if (keep) zones.add(keep);
  return [...zones].sort((a, b) => (a === "UTC" ? -1 : b === "UTC" ? 1 : a.localeCompare(b)));
}

function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function supportedZones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [browserZone()];
  }
}

function currencyName(code) {
  try {
    return new Intl.DisplayNames(undefined, { type: "currency" }).of(code) ?? code;
  } catch {
    return code;
  }
}

export function renderSettings(main) {
  setTitle("Settings");
  const page = fromTemplate("tpl-settings");
  const { settingsError, prefsForm, passwordForm, passwordUser, deleteForm, privacy } = refs(page);
  const owner = currentOwner();
  let alive = true;

  privacy.href = `${apiBase()}/privacy`;
  passwordUser.value = owner?.email ?? "";

  function fillPreferences(settings) {
    const zone = settings.time_zone ?? browserZone(); // unset: the browser's, saved with the first Save
    const zones = prefsForm.elements.time_zone;
    zones.replaceChildren(...zoneChoices(supportedZones(), zone).map((name) => el("option", { value: name, text: name })));
    zones.value = zone;
    const currencies = prefsForm.elements.currency;
    currencies.replaceChildren(
      el("option", { value: "", text: "Not set" }),
      ...(settings.currencies ?? []).map((code) => el("option", { value: code, text: `${code} — ${currencyName(code)}` })),
    );
    currencies.value = settings.currency ?? "";
  }

  async function load() {
    try {
      const settings = await ownerSettings();
      if (!alive) return;
      fillPreferences(settings);
    } catch (error) {
      if (!alive) return;
      settingsError.textContent = error.message;
      settingsError.hidden = false;
    }
  }

  prefsForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(prefsForm);
    const changes = { time_zone: value(prefsForm, "time_zone") || null, currency: value(prefsForm, "currency") || null };
    try {
      const saved = await whileBusy(prefsForm, "Saving…", () => saveOwnerSettings(changes));
      useTimeZone(saved.time_zone);
      announce(`Saved. Dates are shown in ${displayZone()}.`);
    } catch (error) {
      showApiErrors(prefsForm, error);
      focusFirstInvalid(prefsForm);
    }
  });

  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(passwordForm);
    const current = passwordForm.elements.current.value;
    const proposed = passwordForm.elements.password.value;
    if (!current) showFieldError(passwordForm, "current", "Enter your current password.");
    const problem = passwordProblem(proposed);
    if (problem) showFieldError(passwordForm, "password", problem);
    if (!current || problem) return focusFirstInvalid(passwordForm);
    try {
      await whileBusy(passwordForm, "Changing…", () => changePassword(current, proposed));
      passwordForm.reset();
      passwordUser.value = owner?.email ?? "";
      announce("Your password is changed. Use the new one next time you sign in.");
    } catch (error) {
      if (error?.type === "NotAuthorizedException") showFieldError(passwordForm, "current", "That is not your current password.");
      else if (cognitoField(error) === "password") showFieldError(passwordForm, "password", cognitoMessage(error));
      else showFormError(passwordForm, cognitoMessage(error));
      focusFirstInvalid(passwordForm);
    }
  });

  deleteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(deleteForm);
    const typed = value(deleteForm, "confirm_email");
    if (!owner || typed.toLowerCase() !== owner.email.toLowerCase()) {
      showFieldError(deleteForm, "confirm_email", `Type ${owner?.email ?? "your email address"} exactly to confirm.`);
      return focusFirstInvalid(deleteForm);
    }
    try {
      await whileBusy(deleteForm, "Deleting…", () => deleteAccount(typed));
    } catch (error) {
      showApiErrors(deleteForm, error);
      return focusFirstInvalid(deleteForm);
    }
    accountDeleted(); // main.js says goodbye and shows the sign-in page
  });

  const stopSecurity = mountSignInSecurity(page);
  main.append(page);
  load();
  return () => {
    alive = false;
    stopSecurity();
  };
}
