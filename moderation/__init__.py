"""Comment moderation service."""
