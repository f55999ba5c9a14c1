// Amazon Cognito user pools, called directly: its JSON API takes unsigned requests
// for these public-client actions (the app client has no secret), so no SDK is needed.
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/

export class CognitoError extends Error {
  constructor(type, message) {
    super(message || type);
    this.type = type;
    this.detail = message || ""; // Cognito's own sentence, when it sent one
  }
}

/** POST one action; the parsed answer, or a CognitoError named by Cognito's __type. */
export async function cognito(config, action, body) {
  let response;
  try {
    response = await fetch(config.cognito.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new CognitoError("NetworkError", "");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    // "__type" is "NotAuthorizedException" or "com.amazon...#NotAuthorizedException".
    const type = String(data.__type || data.code || "UnknownError").split("#").pop();
    throw new CognitoError(type, data.message || data.Message || "");
  }
  return data;
}

const MESSAGES = {
  NetworkError: "Could not reach the sign-in service. Check your connection and try again.",
  NotAuthorizedException: "The email or password is not right.",
  UserNotFoundException: "The email or password is not right.",
  UserNotConfirmedException: "Confirm your email address first: enter the code we sent you.",
  UsernameExistsException: "An account with this email exists already. Sign in, or reset its password.",
  InvalidPasswordException:
    "Choose a password of at least 12 characters, with an upper-case letter, a lower-case letter and a digit.",
  CodeMismatchException: "That code is not right. Check the email we sent, or ask for a new code.",
  ExpiredCodeException: "That code has expired. Ask for a new one.",
  LimitExceededException: "Too many attempts. Wait a few minutes and try again.",
  TooManyRequestsException: "Too many attempts. Wait a few minutes and try again.",
  TooManyFailedAttemptsException: "Too many attempts. Wait a few minutes and try again.",
  CodeDeliveryFailureException: "We could not send the code. Check the email address and try again.",
  InvalidParameterException: null, // Cognito's own message names the parameter
  PasswordResetRequiredException: "Your password must be reset: use “Forgot your password?”.",
  EnableSoftwareTokenMFAException: "That code is not right. Enter the one your authenticator app shows now.",
  SoftwareTokenMFANotFoundException: "Set up an authenticator app first (Settings page).",
};

/** A sentence a person can act on, for any error a Cognito call threw. */
export function cognitoMessage(error) {
  if (error instanceof CognitoError) {
    const known = MESSAGES[error.type];
    if (known) return known;
    if (error.detail) return error.detail;
    return `Sign-in failed (${error.type}). Try again.`;
  }
  return "Something went wrong. Try again.";
}

/** Which form field an error belongs to (to show it next to the field), if any. */
export function cognitoField(error) {
  if (!(error instanceof CognitoError)) return null;
  if (error.type === "InvalidPasswordException") return "password";
  if (["CodeMismatchException", "ExpiredCodeException", "EnableSoftwareTokenMFAException"].includes(error.type)) return "code";
  if (error.type === "UsernameExistsException") return "email";
  return null;
}
