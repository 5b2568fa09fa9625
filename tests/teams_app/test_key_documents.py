"""What is taken from Microsoft's OpenID documents: RSA keys by key id, with their
endorsements; anything else is skipped, and a document that yields no key is a failed fetch
(the keys at hand are kept, see test_token_keys)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fakes.openid import FakeOpenIdEndpoint, TestKey
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from bot.teams.keys import KeySourceError, fetch_keys, parse_key_set


@pytest.fixture(scope="module")
def key() -> TestKey:
    return TestKey("key-1", endorsements=("msteams", "skype"))


@pytest.fixture
def openid(key: TestKey) -> Iterator[FakeOpenIdEndpoint]:
    with FakeOpenIdEndpoint() as endpoint:
        endpoint.publish(key)
        yield endpoint


def numbers(public_key: object) -> tuple[int, int]:
    found = public_key.public_numbers()  # type: ignore[attr-defined]
    return found.n, found.e


def test_rsa_keys_are_taken_by_key_id_with_their_endorsements(key) -> None:
    [(kid, taken)] = parse_key_set({"keys": [key.jwk()]}).items()
    assert kid == "key-1"
    assert numbers(taken.public_key) == numbers(key.private.public_key())
    assert taken.endorsements == ["msteams", "skype"]


def test_a_published_private_key_yields_its_public_half_only(key) -> None:
    private = {**RSAAlgorithm.to_jwk(key.private, as_dict=True), "kid": "oops"}
    taken = parse_key_set({"keys": [private]})["oops"]
    assert not hasattr(taken.public_key, "private_numbers")
    assert numbers(taken.public_key) == numbers(key.private.public_key())
    assert taken.endorsements == []


def test_what_is_no_usable_rsa_key_is_skipped(key) -> None:
    ec_key = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), True)
    keys = parse_key_set(
        {
            "keys": [
                "key-1",
                {**key.jwk(), "kid": 7},
                {k: v for k, v in key.jwk().items() if k != "kid"},
                {**ec_key, "kid": "an-ec-key"},  # botbuilder checks RS256 only
                {"kid": "no-material", "kty": "RSA"},
                {**key.jwk(), "kid": "odd-endorsements", "endorsements": "msteams"},
                {**key.jwk(), "kid": "mixed-endorsements", "endorsements": ["msteams", 7]},
            ]
        }
    )
    assert {kid: k.endorsements for kid, k in keys.items()} == {
        "odd-endorsements": [],
        "mixed-endorsements": ["msteams"],
    }


@pytest.mark.parametrize(
    "document",
    [{"keys": []}, {"keys": "key-1"}, {}, ["key-1"], None, {"keys": [{"kid": "x"}]}],
)
def test_a_document_without_a_usable_key_is_refused(document) -> None:
    with pytest.raises(KeySourceError):
        parse_key_set(document)


async def test_keys_are_fetched_through_the_metadata_s_jwks_uri(openid, key) -> None:
    keys = await fetch_keys(openid.metadata_url, timeout=2)
    assert list(keys) == ["key-1"]
    assert openid.requests == ["/v1/.well-known/openidconfiguration", "/keys"]


@pytest.mark.parametrize(
    "metadata",
    [{"issuer": "https://api.botframework.com"}, {"jwks_uri": 7}, {"jwks_uri": "file:///x"}],
)
async def test_metadata_naming_no_web_jwks_uri_is_refused(openid, metadata) -> None:
    openid.metadata = metadata
    with pytest.raises(KeySourceError):
        await fetch_keys(openid.metadata_url, timeout=2)
    assert openid.requests == ["/v1/.well-known/openidconfiguration"]


async def test_a_document_over_a_megabyte_is_refused(openid, key) -> None:
    openid.keys = [{**key.jwk(), "padding": "x" * (1024 * 1024)}]
    with pytest.raises(KeySourceError, match="too large"):
        await fetch_keys(openid.metadata_url, timeout=2)
