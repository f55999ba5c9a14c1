// The deployment's settings: GET config.json from the dashboard's own origin.
// {"apiUrl", "signUp", "cognito": {"region", "userPoolId", "clientId", "endpoint"}, "local": true on the local cloud}
// signUp false: owners are created by the operator only (template parameter OwnerSignUp=invite).

let loaded = null;

export function loadConfig() {
  loaded ??= fetchConfig();
  return loaded;
}

async function fetchConfig() {
  let response;
  try {
    response = await fetch("config.json", { cache: "no-store", credentials: "same-origin" });
  } catch {
    throw new Error("The dashboard could not load its settings (config.json). Check your connection and reload.");
  }
  if (!response.ok) throw new Error(`The dashboard's settings (config.json) are missing (HTTP ${response.status}).`);
  const config = await response.json();
  const cognito = config?.cognito ?? {};
  for (const [name, value] of [
    ["apiUrl", config?.apiUrl],
    ["cognito.clientId", cognito.clientId],
    ["cognito.endpoint", cognito.endpoint],
  ]) {
    if (typeof value !== "string" || !value) throw new Error(`config.json has no ${name}.`);
  }
  return Object.freeze({
    apiUrl: config.apiUrl.replace(/\/+$/, ""),
    signUp: config.signUp !== false,
    cognito: Object.freeze({ ...cognito, endpoint: cognito.endpoint.replace(/\/+$/, "") + "/" }),
    local: config.local === true, // the local cloud: no email is sent, any confirmation code works
  });
}
