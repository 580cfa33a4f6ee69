"""A tiny external rates service whose latency and failures are set per request."""
