"""The discovery document for the Perspective-compatible API (``commentanalyzer v1alpha1``).

Google's client libraries build their methods from this document, so it describes
exactly what ``moderation/api/perspective.py`` answers. ``rootUrl`` is this
server's own base URL as the request reached it (behind a trusted proxy, the
proxy's forwarded host and scheme).
"""

from __future__ import annotations

from typing import Any


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if description:
        schema["description"] = description
    return schema


_STRING = {"type": "string"}
_SCHEMAS: dict[str, Any] = {
    "TextEntry": {"id": "TextEntry", **_object({"text": _STRING, "type": _STRING})},
    "AttributeParameters": {"id": "AttributeParameters", **_object({
        "scoreType": _STRING, "scoreThreshold": {"type": "number", "format": "float"}})},
    "Score": {"id": "Score", **_object({"value": {"type": "number", "format": "float"},
                                        "type": _STRING})},
    "SpanScore": {"id": "SpanScore", **_object({
        "begin": {"type": "integer", "format": "int32"}, "end": {"type": "integer", "format": "int32"},
        "score": {"$ref": "Score"}})},
    "AttributeScores": {"id": "AttributeScores", **_object({
        "summaryScore": {"$ref": "Score"},
        "spanScores": {"type": "array", "items": {"$ref": "SpanScore"}}})},
    "Context": {"id": "Context", **_object({
        "entries": {"type": "array", "items": {"$ref": "TextEntry"}}})},
    "AnalyzeCommentRequest": {"id": "AnalyzeCommentRequest", **_object({
        "comment": {"$ref": "TextEntry"},
        "requestedAttributes": {"type": "object",
                                "additionalProperties": {"$ref": "AttributeParameters"}},
        "languages": {"type": "array", "items": _STRING},
        "doNotStore": {"type": "boolean"}, "clientToken": _STRING, "sessionId": _STRING,
        "communityId": _STRING, "spanAnnotations": {"type": "boolean"},
        "context": {"$ref": "Context"}, "dropUnsupportedAttributes": {"type": "boolean"},
    })},
    "AnalyzeCommentResponse": {"id": "AnalyzeCommentResponse", **_object({
        "attributeScores": {"type": "object", "additionalProperties": {"$ref": "AttributeScores"}},
        "languages": {"type": "array", "items": _STRING},
        "detectedLanguages": {"type": "array", "items": _STRING},
        "clientToken": _STRING,
    })},
    "SuggestCommentScoreRequest": {"id": "SuggestCommentScoreRequest", **_object({
        "comment": {"$ref": "TextEntry"},
        "attributeScores": {"type": "object", "additionalProperties": {"$ref": "AttributeScores"}},
        "languages": {"type": "array", "items": _STRING}, "communityId": _STRING,
        "clientToken": _STRING, "context": {"$ref": "Context"},
    })},
    "SuggestCommentScoreResponse": {"id": "SuggestCommentScoreResponse", **_object({
        "detectedLanguages": {"type": "array", "items": _STRING},
        "requestedLanguages": {"type": "array", "items": _STRING}, "clientToken": _STRING,
    })},
}


def _method(name: str, request: str, response: str, description: str) -> dict[str, Any]:
    path = f"v1alpha1/comments:{name}"
    return {"id": f"commentanalyzer.comments.{name}", "path": path, "flatPath": path,
            "httpMethod": "POST", "description": description, "parameters": {},
            "parameterOrder": [], "request": {"$ref": request}, "response": {"$ref": response}}


def discovery_document(root_url: str) -> dict[str, Any]:
    root = root_url if root_url.endswith("/") else root_url + "/"
    return {
        "kind": "discovery#restDescription",
        "discoveryVersion": "v1",
        "id": "commentanalyzer:v1alpha1",
        "name": "commentanalyzer",
        "version": "v1alpha1",
        "title": "Perspective Comment Analyzer API (served by moderation)",
        "description": "Perspective-compatible scoring by a self-hosted moderation service.",
        "protocol": "rest",
        "rootUrl": root,
        "servicePath": "",
        "baseUrl": root,
        "batchPath": "batch",
        "parameters": {
            "key": {"type": "string", "location": "query",
                    "description": "A site API key of this service."},
            "alt": {"type": "string", "location": "query", "default": "json", "enum": ["json"],
                    "enumDescriptions": ["JSON"]},
            "prettyPrint": {"type": "boolean", "location": "query", "default": "true"},
            "fields": {"type": "string", "location": "query"},
        },
        "schemas": _SCHEMAS,
        "resources": {"comments": {"methods": {
            "analyze": _method("analyze", "AnalyzeCommentRequest", "AnalyzeCommentResponse",
                               "Scores the comment for the requested attributes; never stores it."),
            "suggestscore": _method("suggestscore", "SuggestCommentScoreRequest",
                                    "SuggestCommentScoreResponse",
                                    "Records a suggested score as feedback for the key's site."),
        }}},
    }
