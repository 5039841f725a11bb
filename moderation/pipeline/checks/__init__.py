"""Rule-based checks: pure functions ``check(text) -> CheckResult``.

Each module scores one category (see :data:`moderation.pipeline.types.CATEGORIES`)
and reports reasons whose spans are character offsets into the text it was given.
"""
