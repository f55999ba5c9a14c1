"""The tracker link: who clicked, whether they count, and the consent it starts."""
