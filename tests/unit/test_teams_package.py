"""`mentorbot teams-package`: a zip with manifest.json (valid against Teams' v1.29 schema: a bot
in personal scope with its command list) and the two icons Teams requires, at the zip's root."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from bot.__main__ import main
from bot.teams.app_package.build import build, manifest

APP_ID = "8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d"
REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "teams-app-manifest.v1.29.schema.json"
COMMAND_TITLES = ["help", "concern", "status", "enrol", "pair", "managers", "program"]


def _validator() -> Any:
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"Teams manifest schema not found at {SCHEMA_PATH}")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # Draft-04 (its `$schema`). Not check_schema(): the schema's ECMAScript `\p{L}` patterns
    # are no Python regex, though nothing in our manifest reaches them.
    validator_class = validator_for(schema)
    assert validator_class.__name__ == "Draft4Validator"
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def _errors(document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator().iter_errors(document)
    ]


# ---------------------------------------------------------------------- a tiny PNG reader


def read_png(data: bytes) -> tuple[int, int, int, list[list[tuple[int, ...]]]]:
    """(width, height, colour type, rows of pixels) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    offset, chunks, idat = 8, [], b""
    header: tuple[int, ...] = ()
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        chunks.append(kind)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            line[i] = (line[i] + _predict(kind, left, up, corner)) & 0xFF
        rows.append(line)
        previous = line
    pixels = [[tuple(row[x * channels : (x + 1) * channels]) for x in range(width)] for row in rows]
    return width, height, colour, pixels


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    assert kind == 4, f"unknown PNG filter {kind}"
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    return (left, up, corner)[distances.index(min(distances))]


# ---------------------------------------------------------------------- the package


def _check_package(path: Path, *, host: str | None) -> dict[str, Any]:
    with zipfile.ZipFile(path) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        document = json.loads(package.read("manifest.json"))
        colour = read_png(package.read("color.png"))
        outline = read_png(package.read("outline.png"))

    assert _errors(document) == []
    assert document["icons"] == {"color": "color.png", "outline": "outline.png"}
    [bot] = document["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal"]
    assert bot["isNotificationOnly"] is False
    [commands] = bot["commandLists"]
    assert commands["scopes"] == ["personal"]
    assert [c["title"] for c in commands["commands"]] == COMMAND_TITLES
    assert document["validDomains"] == ([host] if host else [])

    width, height, colour_type, pixels = colour
    assert (width, height, colour_type) == (192, 192, 2)  # RGB: full colour
    assert len({p for row in pixels for p in row}) > 1  # a picture, not a blank square

    width, height, colour_type, pixels = outline
    assert (width, height, colour_type) == (32, 32, 6)  # RGBA: it has an alpha channel
    seen = [p for row in pixels for p in row]
    assert any(p[3] == 0 for p in seen), "the outline icon's background must be transparent"
    drawn = [p for p in seen if p[3] != 0]
    assert drawn, "the outline icon draws nothing"
    assert all(p[:3] == (255, 255, 255) for p in drawn), "the outline must be white only"
    return document


PRIVACY = "https://intranet.example.com/privacy"
TERMS = "https://intranet.example.com/terms-of-use"
LINKS = {"privacy_url": PRIVACY, "terms_url": TERMS}


def test_the_package_built_in_process(tmp_path) -> None:
    out = build(APP_ID, tmp_path / "pkg.zip", host="bot.example.com", **LINKS)
    document = _check_package(out, host="bot.example.com")
    # The organisation's own pages: mentorbot serves no privacy or terms page to link to.
    assert document["developer"] == {
        "name": "mentorbot",
        "websiteUrl": PRIVACY,
        "privacyUrl": PRIVACY,
        "termsOfUseUrl": TERMS,
    }


def test_the_package_without_a_host(tmp_path) -> None:
    _check_package(build(APP_ID, tmp_path / "pkg.zip"), host=None)


def test_the_app_id_is_stable_across_builds_and_differs_per_bot() -> None:
    first, again = manifest(APP_ID)["id"], manifest(APP_ID)["id"]
    other = manifest("00000000-0000-4000-8000-000000000001")["id"]
    assert first == again != other


def test_a_pasted_url_is_reduced_to_its_host() -> None:
    document = manifest(APP_ID, host="https://Bot.Example.com/api/messages", **LINKS)
    assert document["validDomains"] == ["bot.example.com"]
    assert _errors(document) == []


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMS_", "SLACK_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "teams-package", *args],
        cwd=tmp_path,  # no .env from the repo
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_writes_the_package(tmp_path) -> None:
    out = tmp_path / "out" / "mentorbot-teams.zip"
    out.parent.mkdir()
    done = _run(
        tmp_path,
        *("--app-id", APP_ID, "--host", "bot.example.com", "--out", str(out)),
        *("--privacy-url", PRIVACY, "--terms-url", TERMS),
    )
    assert (done.returncode, done.stderr) == (0, "")  # a production package: no warning
    assert str(out) in done.stdout
    _check_package(out, host="bot.example.com")


def test_the_command_writes_mentorbot_teams_zip_by_default(tmp_path) -> None:
    done = _run(tmp_path, "--app-id", APP_ID)
    assert done.returncode == 0, done.stderr
    _check_package(tmp_path / "mentorbot-teams.zip", host=None)


def test_without_a_host_the_package_is_built_with_one_warning_line(tmp_path) -> None:
    """A trial package: it uploads, but its links are example.com placeholders, so the
    admin is told, once, what a production package needs."""
    done = _run(tmp_path, "--app-id", APP_ID)
    assert done.returncode == 0
    assert done.stderr == (
        "mentorbot: warning: without --host this package is for a trial only: its privacy and "
        "terms links point at example.com and it names no domain; for production, build it "
        "with --host, --privacy-url and --terms-url\n"
    )
    with zipfile.ZipFile(tmp_path / "mentorbot-teams.zip") as package:
        developer = json.loads(package.read("manifest.json"))["developer"]
    assert developer["privacyUrl"] == "https://example.com/privacy"


@pytest.mark.parametrize(
    ("pasted", "option"),
    [
        ("{8A3C4B5D-1E2F-4A6B-8C7D-9E0F1A2B3C4D}", "braces-upper"),
        ("{8a3c4b5d-1e2f-4a6b-8c7d-9e0f1a2b3c4d}", "braces"),
        ("8A3C4B5D-1E2F-4A6B-8C7D-9E0F1A2B3C4D", "upper"),
        ("8a3c4b5d1e2f4a6b8c7d9e0f1a2b3c4d", "no-dashes"),
    ],
)
def test_a_pasted_app_id_becomes_the_canonical_bot_id(tmp_path, pasted, option) -> None:
    """The same rule as TEAMS_APP_ID (bot.settings.canonical_guid): the botId Teams sends
    activities for is the lower-case dashed id the bot authenticates as."""
    out = build(pasted, tmp_path / f"{option}.zip")
    document = _check_package(out, host=None)  # botId == APP_ID, lower case and dashed
    assert document["id"] == manifest(APP_ID)["id"]  # and the same Teams app as before


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("--host", "bot.example.com"),
            "--host needs --privacy-url and --terms-url: Teams shows your organisation's "
            "privacy statement and terms of use in the app's details, and mentorbot serves no "
            "such pages",
        ),
        (
            ("--host", "bot.example.com", "--privacy-url", PRIVACY),
            "--host needs --terms-url: Teams shows your organisation's privacy statement and "
            "terms of use in the app's details, and mentorbot serves no such pages",
        ),
        (
            (
                "--host",
                "bot.example.com",
                "--privacy-url",
                "http://x.example",
                "--terms-url",
                TERMS,
            ),
            "--privacy-url must be an https:// address, not 'http://x.example'",
        ),
        (
            ("--privacy-url", PRIVACY, "--terms-url", "intranet/terms"),
            "--terms-url must be an https:// address, not 'intranet/terms'",
        ),
        (
            ("--out", "/nonexistent/x.zip"),
            "--out: the folder /nonexistent does not exist",
        ),
    ],
)
def test_what_the_package_cannot_use_is_one_line_and_exit_code_2(tmp_path, args, line) -> None:
    done = _run(tmp_path, "--app-id", APP_ID, *args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"mentorbot: {line}\n")
    assert not (tmp_path / "mentorbot-teams.zip").exists()


def test_an_out_that_cannot_be_written_is_one_line(tmp_path) -> None:
    (tmp_path / "taken").mkdir()  # a folder where the zip should go
    done = _run(tmp_path, "--app-id", APP_ID, "--out", str(tmp_path / "taken"))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"mentorbot: --out: cannot write {tmp_path / 'taken'}: Is a directory\n"


@pytest.mark.parametrize("app_id", ["not-a-guid", "28:" + APP_ID, ""])
def test_a_bad_app_id_is_refused_with_exit_code_2(tmp_path, app_id) -> None:
    done = _run(tmp_path, "--app-id", app_id, "--out", str(tmp_path / "x.zip"))
    assert done.returncode == 2
    assert done.stderr == (
        f"mentorbot: --app-id must be the bot's Microsoft App ID (a GUID), not {app_id!r}\n"
    )
    assert not (tmp_path / "x.zip").exists()


def test_a_bad_host_is_refused_with_exit_code_2(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.__main__.bot_logging.configure", lambda *_: None)  # stays global
    for name in ("TEAMS_APP_ID", "TEAMS_ALLOW_UNAUTHENTICATED", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code = main(["teams-package", "--app-id", APP_ID, "--host", "not a host", "--out", "x.zip"])
    assert code == 2
    assert "--host" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_the_app_id_is_required(tmp_path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 2
    assert "--app-id" in done.stderr
