"""WardBoard Telegram adapter: handlers, jobs, config and CLI."""
