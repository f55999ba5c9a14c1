"""The tracker link: who clicked, whether they count, and the consent (OAuth state) it starts.
May import campaigns, spotify (oauth only) and platform."""
