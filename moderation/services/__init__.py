"""Service functions: one per use case, called by thin views, tasks and CLI commands."""
