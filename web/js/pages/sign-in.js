// #/sign-in: email and password (Cognito USER_PASSWORD_AUTH), then the challenge Cognito
// asks for, if any: a code from the owner's authenticator app, or setting one up first.

import { answerChallenge, signIn } from "../auth.js";
import { cognitoField, cognitoMessage, CognitoError } from "../cognito.js";
import { loadConfig } from "../config.js";
import { fromTemplate, refs } from "../dom.js";
import { clearErrors, showFieldError, showFormError, value, whileBusy } from "../forms.js";
import { focusHeading, setTitle } from "../page.js";
import { navigate } from "../router.js";

export function renderSignIn(main, { query }) {
  setTitle("Sign in");
  const page = fromTemplate("tpl-sign-in");
  const { form } = refs(page);
  if (query.get("email")) form.elements.email.value = query.get("email");
  loadConfig().then((config) => {
    // Invitation only (OwnerSignUp=invite): the operator creates owners, so no link to sign up.
    if (!config.signUp) page.querySelector('[data-testid="sign-up-link"]')?.parentElement?.replaceChildren(
      page.querySelector('[data-testid="forgot-password-link"]'),
    );
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const email = value(form, "email");
    const password = form.elements.password.value;
    if (!email || !password) {
      showFormError(form, "Enter your email and your password.");
      (email ? form.elements.password : form.elements.email).focus();
      return;
    }
    try {
      const challenge = await whileBusy(form, "Signing in…", () => signIn(email, password));
      // No challenge: onSessionChange("signed-in") takes the owner to their campaigns.
      if (challenge) showChallenge(main, challenge);
    } catch (error) {
      if (error instanceof CognitoError && error.type === "UserNotConfirmedException") {
        navigate(`#/confirm?email=${encodeURIComponent(email)}&unconfirmed=1`);
        return;
      }
      showFormError(form, cognitoMessage(error));
      form.elements.password.select();
    }
  });
  main.append(page);
}

/** Ask for the code the challenge needs (the password form gives way to it, on the same route). */
function showChallenge(main, challenge) {
  const page = fromTemplate("tpl-mfa");
  const { form, heading, setup, secret, hint, restart } = refs(page);
  if (challenge.name === "MFA_SETUP") {
    setTitle("Set up two-step sign-in");
    heading.textContent = "Set up two-step sign-in";
    setup.hidden = false;
    hint.hidden = true;
    secret.textContent = groups(challenge.secretCode);
  } else {
    setTitle("Enter your sign-in code");
  }
  // The route does not change, so the router would not redraw the password form.
  restart.addEventListener("click", (event) => {
    event.preventDefault();
    main.replaceChildren();
    renderSignIn(main, { query: new URLSearchParams({ email: challenge.email }) });
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
      const nextChallenge = await whileBusy(form, "Checking…", () => answerChallenge(challenge, code));
      if (nextChallenge) showChallenge(main, nextChallenge);
    } catch (error) {
      if (cognitoField(error) === "code") showFieldError(form, "code", codeMessage(error));
      else showFormError(form, challengeMessage(error));
      form.elements.code.select();
    }
  });
  main.replaceChildren(page);
  focusHeading(page);
}

function codeMessage(error) {
  return error.type === "ExpiredCodeException"
    ? "That code has expired. Enter the one your app shows now."
    : "That code is not right. Enter the one your app shows now (check the phone's clock if it keeps failing).";
}

function challengeMessage(error) {
  // The challenge's session lasts a few minutes: after that, start again.
  if (error instanceof CognitoError && error.type === "NotAuthorizedException") {
    return "This sign-in took too long or was refused. Choose “Start again” and sign in once more.";
  }
  return cognitoMessage(error);
}

/** "ABCD EFGH IJKL …": a setup key a person can copy by eye. */
export function groups(secret) {
  return String(secret || "").replace(/(.{4})(?=.)/g, "$1 ");
}
