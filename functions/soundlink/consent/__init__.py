"""GET /oauth/callback, one module per purpose (listener, owner, disconnect), and the privacy pages.
May import tracking, campaigns, listeners, tokens, spotify and platform."""
