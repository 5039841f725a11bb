"""``score`` reads CSV as spreadsheets save it: a UTF-8 byte-order mark, extra columns."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from moderation.cli import build_cli


def _score(tmp_path: Path, artifact: Path, data: bytes) -> tuple[int, str, Path]:
    src = tmp_path / "in.csv"
    src.write_bytes(data)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(build_cli(), ["score", str(src), "-o", str(out), "--model", str(artifact)])
    return result.exit_code, result.output, out


def _ids(out: Path) -> list[str]:
    with out.open(newline="", encoding="utf-8") as fh:
        return [row["id"] for row in csv.DictReader(fh)]


def test_a_csv_with_a_utf8_byte_order_mark_is_scored(tiny_artifact: Path, tmp_path: Path) -> None:
    code, output, out = _score(tmp_path, tiny_artifact, "id,text\r\n1,nice piece\r\n2,you moron\r\n"
                               .encode("utf-8-sig"))
    assert code == 0, output
    assert _ids(out) == ["1", "2"]


def test_json_lines_with_a_byte_order_mark_are_scored(tiny_artifact: Path, tmp_path: Path) -> None:
    code, output, out = _score(tmp_path, tiny_artifact, '{"id": 1, "text": "ok"}\n'.encode("utf-8-sig"))
    assert code == 0, output
    assert _ids(out) == ["1"]


def test_extra_columns_are_ignored_and_columns_found_by_name(tiny_artifact: Path, tmp_path: Path) -> None:
    content = "author,Text,ID,date\nasha,thanks for the article,c1,2026-11-01\nravi,\"a, b\",c2,2026-11-02\n"
    code, output, out = _score(tmp_path, tiny_artifact, content.encode())
    assert code == 0, output
    assert _ids(out) == ["c1", "c2"]


def test_a_row_shorter_than_the_header_names_its_line(tiny_artifact: Path, tmp_path: Path) -> None:
    code, output, out = _score(tmp_path, tiny_artifact, b"id,text,extra\n1,ok,x\n2,ok\n")
    assert code == 2
    assert "line 3" in output and "expected 3 fields" in output
    assert not out.exists()


def test_a_header_without_id_or_text_is_refused(tiny_artifact: Path, tmp_path: Path) -> None:
    code, output, _ = _score(tmp_path, tiny_artifact, b"id,body\n1,x\n")
    assert code == 2
    assert "line 1" in output and "'text'" in output
