"""The customers service: accounts (companies) and contacts (people)."""
