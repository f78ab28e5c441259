"""Command-line tools that use the CRM through its HTTP API."""
