"""Plumbing shared by every CRM service and the gateway: never a domain model or rule."""
