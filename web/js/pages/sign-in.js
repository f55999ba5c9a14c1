// #/sign-in: email and password (Cognito USER_PASSWORD_AUTH).

import { signIn } from "../auth.js";
import { cognitoMessage, CognitoError } from "../cognito.js";
import { fromTemplate, refs } from "../dom.js";
import { clearErrors, showFormError, value, whileBusy } from "../forms.js";
import { setTitle } from "../page.js";
import { navigate } from "../router.js";

export function renderSignIn(main, { query }) {
  setTitle("Sign in");
  const page = fromTemplate("tpl-sign-in");
  const { form } = refs(page);
  if (query.get("email")) form.elements.email.value = query.get("email");
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
      await whileBusy(form, "Signing in…", () => signIn(email, password));
      // onSessionChange("signed-in") takes the owner to their campaigns
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
