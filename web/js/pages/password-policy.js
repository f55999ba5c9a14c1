// The user pool's password policy (template.yaml: 12+ characters, upper, lower, digit),
// checked before asking Cognito so the owner hears what is missing at once.

export function passwordProblem(password) {
  const missing = [];
  if (password.length < 12) missing.push("at least 12 characters");
  if (!/[A-Z]/.test(password)) missing.push("an upper-case letter");
  if (!/[a-z]/.test(password)) missing.push("a lower-case letter");
  if (!/[0-9]/.test(password)) missing.push("a digit");
  if (!missing.length) return null;
  return `Your password needs ${missing.join(", ").replace(/, ([^,]*)$/, " and $1")}.`;
}
