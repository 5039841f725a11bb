"""The OpenAPI document matches the routes, is valid, and the API survives
schemathesis: no 5xx and no response that breaks the documented schema."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import positive_data_acceptance

from tests.support.factories import make_key, make_site

IGNORED_RULES = {"/static/<path:filename>"}


def _flask_to_openapi(rule: str) -> str:
    import re

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_route_is_documented_and_every_documented_path_is_routed(app: Flask) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    routed: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if rule.rule in IGNORED_RULES or rule.rule.startswith("/console/"):
            continue  # the console's HTML pages are not part of the JSON API
        for method in rule.methods or ():
            if method not in {"HEAD", "OPTIONS"}:
                routed.add((_flask_to_openapi(rule.rule), method.lower()))
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert routed == documented


def test_the_document_is_valid_openapi(app: Flask) -> None:
    validate(app.test_client().get("/openapi.json").get_json())


def _tokens(app: Flask) -> dict[str, str]:
    site_id = make_site(app, "fuzz-site")
    make_site(app, "other-site")
    return {
        "site": make_key(app, "site", site_id),
        "moderator": make_key(app, "moderator"),
        "compliance": make_key(app, "compliance"),
        "admin": make_key(app, "admin"),
    }


#: Which role's key each path prefix is fuzzed with (first match wins).
ROLE_BY_PREFIX = (
    ("/v1/compliance", "compliance"),
    ("/v1/audit", "admin"),
    ("/v1/sites", "admin"),
    ("/v1/keys", "admin"),
    ("/v1/admin", "admin"),
    ("/v1/webhooks", "admin"),
    ("/v1/", "moderator"),
)


def _role_for(method: str, path: str) -> str:
    if path == "/v1/comments" and method.upper() == "POST":
        return "site"
    if path == "/v1/comments/{comment_id}" and method.upper() in ("PUT", "DELETE"):
        return "site"  # edits and withdrawals
    return next((role for prefix, role in ROLE_BY_PREFIX if path.startswith(prefix)), "admin")


def test_api_never_errors_and_matches_its_schema(app: Flask) -> None:
    """schemathesis, bounded: each operation gets a few dozen generated requests.

    Every default check runs except "positive data acceptance": cross-field rules
    (a ban's value must match its kind, a known site id) legitimately answer 422 to
    requests that each field's schema alone allows.
    """
    tokens = _tokens(app)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        token = tokens[_role_for(operation.method, operation.path)]
        try:
            _fuzz(operation, {"Authorization": f"Bearer {token}"})
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


#: Examples per operation; MODERATION_FUZZ_EXAMPLES raises it for a longer hunt.
EXAMPLES = int(os.environ.get("MODERATION_FUZZ_EXAMPLES", "30"))


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()
