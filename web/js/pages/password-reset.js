// #/forgot-password and #/reset-password: a code by email, then a new password.

import { confirmForgotPassword, forgotPassword } from "../auth.js";
import { cognitoField, cognitoMessage } from "../cognito.js";
import { fromTemplate, refs } from "../dom.js";
import { clearErrors, focusFirstInvalid, showFieldError, showFormError, value, whileBusy } from "../forms.js";
import { setTitle } from "../page.js";
import { navigate } from "../router.js";
import { announce } from "../status.js";
import { passwordProblem } from "./password-policy.js";

export function renderForgot(main, { query }) {
  setTitle("Forgot your password?");
  const page = fromTemplate("tpl-forgot");
  const { form } = refs(page);
  form.elements.email.value = query.get("email") ?? "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const email = value(form, "email");
    if (!email) {
      showFormError(form, "Enter your email address.");
      form.elements.email.focus();
      return;
    }
    try {
      await whileBusy(form, "Sending…", () => forgotPassword(email));
      announce("If an account uses this address, we sent it a code. Enter it with your new password.");
      navigate(`#/reset-password?email=${encodeURIComponent(email)}`);
    } catch (error) {
      showFormError(form, cognitoMessage(error));
    }
  });
  main.append(page);
}

export function renderReset(main, { query }) {
  setTitle("Choose a new password");
  const page = fromTemplate("tpl-reset");
  const { form } = refs(page);
  form.elements.email.value = query.get("email") ?? "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const email = value(form, "email");
    const code = value(form, "code");
    const password = form.elements.password.value;
    if (!email || !code) {
      showFormError(form, "Enter your email and the code from the email.");
      return;
    }
    const problem = passwordProblem(password);
    if (problem) {
      showFieldError(form, "password", problem);
      return focusFirstInvalid(form);
    }
    try {
      await whileBusy(form, "Saving…", () => confirmForgotPassword(email, code, password));
      announce("Your password is changed. Sign in with it.");
      navigate(`#/sign-in?email=${encodeURIComponent(email)}`);
    } catch (error) {
      const field = cognitoField(error);
      if (!(field && showFieldError(form, field, cognitoMessage(error)))) showFormError(form, cognitoMessage(error));
      focusFirstInvalid(form);
    }
  });
  main.append(page);
}
