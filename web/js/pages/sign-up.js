// #/sign-up and #/confirm: create an owner account, then confirm it with the emailed code.

import { confirmSignUp, resendConfirmation, signUp } from "../auth.js";
import { cognitoField, cognitoMessage } from "../cognito.js";
import { loadConfig } from "../config.js";
import { fromTemplate, refs } from "../dom.js";
import { clearErrors, focusFirstInvalid, showFieldError, showFormError, value, whileBusy } from "../forms.js";
import { setTitle } from "../page.js";
import { navigate } from "../router.js";
import { announce } from "../status.js";
import { passwordProblem } from "./password-policy.js";

export function renderSignUp(main) {
  setTitle("Create your account");
  const page = fromTemplate("tpl-sign-up");
  const { form } = refs(page);
  loadConfig().then((config) => {
    if (config.signUp) return;
    // OwnerSignUp=invite: Cognito refuses sign-ups; say so before anyone fills the form in.
    const note = document.createElement("p");
    note.dataset.testid = "sign-up-closed";
    note.textContent = "Accounts on this Soundlink are by invitation: ask its operator to create yours, then sign in.";
    form.replaceWith(note);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const email = value(form, "email");
    const password = form.elements.password.value;
    let invalid = false;
    if (!form.elements.email.checkValidity() || !email) {
      invalid = showFieldError(form, "email", "Enter your email address.");
    }
    const problem = passwordProblem(password);
    if (problem) invalid = showFieldError(form, "password", problem);
    if (invalid) return focusFirstInvalid(form);
    try {
      const result = await whileBusy(form, "Creating…", () => signUp(email, password));
      if (result.UserConfirmed) {
        announce("Your account is ready. Sign in.");
        navigate(`#/sign-in?email=${encodeURIComponent(email)}`);
      } else {
        announce("Your account is created. Confirm your email address with its code.");
        navigate(`#/confirm?email=${encodeURIComponent(email)}`);
      }
    } catch (error) {
      const field = cognitoField(error);
      if (!(field && showFieldError(form, field, cognitoMessage(error)))) showFormError(form, cognitoMessage(error));
      focusFirstInvalid(form);
    }
  });
  main.append(page);
}

export function renderConfirm(main, { query }) {
  setTitle("Confirm your email");
  const page = fromTemplate("tpl-confirm");
  const { form, resend, intro } = refs(page);
  form.elements.email.value = query.get("email") ?? "";
  loadConfig()
    .then((config) => {
      if (config.local) {
        intro.textContent = "This is the local cloud: no email is sent, and any code works (000000, for example).";
      }
    })
    .catch(() => {}); // the page works without it: the sentence stays the deployed one
  if (query.get("unconfirmed")) announce("Confirm your email address first: enter the code we sent you.");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const email = value(form, "email");
    const code = value(form, "code");
    if (!email || !code) {
      showFormError(form, "Enter your email and the code from the email.");
      return;
    }
    try {
      await whileBusy(form, "Confirming…", () => confirmSignUp(email, code));
      announce("Your email is confirmed. Sign in.");
      navigate(`#/sign-in?email=${encodeURIComponent(email)}`);
    } catch (error) {
      const field = cognitoField(error);
      if (!(field && showFieldError(form, field, cognitoMessage(error)))) showFormError(form, cognitoMessage(error));
      focusFirstInvalid(form);
    }
  });
  resend.addEventListener("click", async () => {
    clearErrors(form);
    const email = value(form, "email");
    if (!email) {
      showFormError(form, "Enter your email address first.");
      form.elements.email.focus();
      return;
    }
    try {
      await whileBusy(form, null, () => resendConfirmation(email));
      announce("We sent a new code. It may take a minute to arrive.");
    } catch (error) {
      showFormError(form, cognitoMessage(error));
    }
  });
  main.append(page);
}
