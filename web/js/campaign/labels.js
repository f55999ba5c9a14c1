// The product's words for the API's names.

export const MODELS = {
  last_touch: { name: "Last click", about: "The campaign the listener clicked last gets the whole play." },
  first_touch: { name: "First click", about: "The campaign the listener clicked first gets the whole play." },
  linear: { name: "Shared equally", about: "Every campaign the listener clicked gets an equal share." },
  time_decay: { name: "Recent clicks count more", about: "Shares halve for every 7 days since each click." },
};

export const modelName = (model) => MODELS[model]?.name ?? model;

export const DIMENSIONS = {
  referrer: "Referring site",
  utm_source: "UTM source",
  utm_medium: "UTM medium",
  utm_campaign: "UTM campaign",
  device: "Device",
  browser: "Browser",
  os: "Operating system",
  country: "Country",
};

/** [name, label, explanation, kind] of each KPI card, most telling first; kind "percent" or "number".
 * The first KPI_CARDS are cards under the verdict; the rest sit under "More figures". */
export const KPIS = [
  ["streams", "Streams", "Plays credited to this campaign"],
  ["clicks", "Clicks", "People who opened your link (bots and suspicious requests excluded)"],
  ["authorizations", "Connected Spotify", "Listeners who agreed to share what they play"],
  ["streams_per_listener", "Streams per listener", "Streams ÷ listeners"],
  ["weighted_streams", "Confidence-weighted streams", "Each stream counted by how sure we are"],
  ["listeners", "Listeners", "People with a counted stream in these dates, each once"],
  ["new_listeners", "New listeners", "First counted stream in these dates, and new to these tracks"],
  ["conversion_rate", "Connect rate", "Share of clicks that connected Spotify", "percent"],
  ["unique_clicks", "Unique visitors", "Each visitor counted once a day"],
  ["declined", "Declined", "Said no on Spotify's consent page"],
  ["connect_clicks", "Connect clicks", "People who chose “Connect Spotify” on your link's page"],
  ["just_play_clicks", "Straight to the music", "People who chose “Just take me to the playlist”"],
  ["bot_clicks", "Bots and link previews", "Opened by machines; not counted as clicks"],
  ["suspicious_clicks", "Suspicious", "Not like a person: odd browsers, too many clicks from one visitor, or flagged by the firewall. Sent on, never counted as clicks"],
  ["attributed_plays", "Matched plays", "Plays matched to this campaign, whatever the model"],
];
export const KPI_CARDS = 4;

export const STATES = {
  active: {
    label: "Followed",
    about: "We check what they play every few minutes while their attribution window is open.",
  },
  idle: {
    label: "Window closed",
    about: "Their attribution window has ended, so we stopped checking. A new click opens it again.",
  },
  reauth_required: {
    label: "Need to reconnect",
    about: "Spotify ended their connection (they removed access, or it expired). They count again after clicking your link and connecting once more.",
  },
  not_allowlisted: {
    label: "Blocked by Spotify's Development Mode",
    about: "Your Spotify app is in Development Mode, which serves only the users on its allow-list (at most 5). Add them in Spotify's developer dashboard, or ask Spotify for extended access.",
  },
};
