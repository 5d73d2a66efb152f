"""The stand-in parses moto's one Cognito signing key once, and every pool signs with it."""

from typing import Any

from joserfc import jwk
from moto.cognitoidp import models

from portfolio_api.local import moto_extensions


def test_every_pool_gets_the_key_parsed_once_and_other_keys_are_parsed_afresh() -> None:
    moto_extensions.install()
    moto_jwk: Any = vars(models)["jwk"]
    key_file = vars(models)["load_resource"]("cognitoidp/resources/jwks-private.json")
    first = moto_jwk.RSAKey.import_key(key_file)
    assert moto_jwk.RSAKey.import_key(key_file) is first
    assert first.as_dict() == jwk.RSAKey.import_key(key_file).as_dict()

    other = jwk.RSAKey.generate_key(2048)
    imported = moto_jwk.RSAKey.import_key(other.as_dict(private=True))
    assert imported is not first
    assert imported.as_dict() == other.as_dict()
    # The rest of the class and the module are joserfc's own.
    assert moto_jwk.RSAKey.generate_key == jwk.RSAKey.generate_key
    assert moto_jwk.import_key is jwk.import_key


def test_installing_twice_keeps_one_parsed_key() -> None:
    moto_extensions.install()
    shim = vars(models)["jwk"]
    moto_extensions.install()
    assert vars(models)["jwk"] is shim
