"""Forged, tampered, misdirected and malformed tokens are all a 401 on `GET /v1/users/me`.

Tokens are minted with the RSA key moto signs its own Cognito tokens with (kid "dummy"; its
public half is what the app fetches from the stand-in's JWKS), so a well-formed minted token is
accepted and each attack below differs from it in exactly the way it names. The JWKS refresh
rule is tested on `TokenVerifier` itself with a fake fetcher and clock.
"""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwk, jwt
from moto.utilities.utils import load_resource

from portfolio_api.container import Container
from portfolio_api.core.errors import ServiceUnavailable, Unauthorized
from portfolio_api.core.security import JWKS_FAILURE_BACKOFF_SECONDS, TokenVerifier
from portfolio_api.core.settings import Settings
from portfolio_api.local.stack import LocalStack
from portfolio_api.main import create_app
from portfolio_api.user_pool import create_app_client_arguments, create_user_pool_arguments
from tests.conftest import PASSWORD, REGION, SignedInUser, bearer

ME = "/v1/users/me"
KID = "dummy"  # the kid of moto's signing key, as its JWKS lists it
MOTO_PUBLIC_JWK: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")["keys"][0]
DROP = object()  # a claim override that removes the claim


def b64url(data: bytes | str | dict[str, Any]) -> str:
    if isinstance(data, dict):
        data = json.dumps(data, separators=(",", ":"))
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(segment: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


def _b64_int(segment: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)), "big")


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def private_jwk(numbers: rsa.RSAPrivateNumbers, kid: str) -> dict[str, Any]:
    """A private RSA JWK with every CRT parameter (so python-jose signs without recomputing)."""
    return {
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": kid,
        "n": _int_b64(numbers.public_numbers.n),
        "e": _int_b64(numbers.public_numbers.e),
        "d": _int_b64(numbers.d),
        "p": _int_b64(numbers.p),
        "q": _int_b64(numbers.q),
        "dp": _int_b64(numbers.dmp1),
        "dq": _int_b64(numbers.dmq1),
        "qi": _int_b64(numbers.iqmp),
    }


def moto_private_jwk() -> dict[str, Any]:
    """moto's signing key. Its JWK holds n, e and d only; p and q are recovered once here."""
    shipped = load_resource("cognitoidp/resources/jwks-private.json")
    n, e, d = (_b64_int(shipped[name]) for name in ("n", "e", "d"))
    p, q = rsa.rsa_recover_prime_factors(n, e, d)
    public = rsa.RSAPublicNumbers(e, n)
    crt = (rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q))
    return private_jwk(rsa.RSAPrivateNumbers(p, q, d, *crt, public), shipped["kid"])


def foreign_private_jwk(kid: str = KID) -> dict[str, Any]:
    """A fresh RSA key that is not the pool's, dressed up with the pool's kid by default."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private_jwk(key.private_numbers(), kid)


MOTO_PRIVATE_JWK = moto_private_jwk()


FOREIGN_JWK = foreign_private_jwk()


def mint(
    claims: dict[str, Any],
    *,
    key: dict[str, Any] = MOTO_PRIVATE_JWK,
    headers: dict[str, Any] | None = None,
) -> str:
    """An RS256 JWT over `claims`, with moto's key unless told otherwise."""
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID, **(headers or {})})


def hand_built(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64url(header)}.{b64url(claims)}.{b64url(signature)}"


def claims_for(
    settings: Settings, subject: str, kind: str = "id", **overrides: Any
) -> dict[str, Any]:
    """What Cognito puts in an ID (or access) token of this pool and client, then the overrides."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "sub": subject,
        "token_use": kind,
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
    }
    if kind == "access":
        claims |= {
            "client_id": settings.cognito_client_id,
            "username": subject,
            "scope": "aws.cognito.signin.user.admin",
        }
    else:
        claims |= {
            "aud": settings.cognito_client_id,
            "cognito:username": subject,
            "email": "member@example.com",
        }
    for name, value in overrides.items():
        claim = name.replace("__", ":")  # cognito__groups -> cognito:groups
        if value is DROP:
            claims.pop(claim, None)
        else:
            claims[claim] = value
    return claims


def assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "unauthorized"
    assert body["status"] == 401
    assert body["requestId"] == response.headers["x-request-id"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    # Nothing of the profile leaks into the error.
    assert "userId" not in body
    assert "email" not in body


# --- the baseline: what is accepted --------------------------------------------------------------


def test_minted_id_token_is_accepted(
    client: TestClient, settings: Settings, member: SignedInUser
) -> None:
    """The minting is faithful, so every rejection below is down to the defect it introduces."""
    response = client.get(ME, headers=bearer(mint(claims_for(settings, member.sub))))
    assert response.status_code == 200, response.text
    assert response.json()["userId"] == member.sub


def test_minted_access_token_is_accepted(
    client: TestClient, settings: Settings, member: SignedInUser
) -> None:
    token = mint(claims_for(settings, member.sub, kind="access"))
    response = client.get(ME, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["userId"] == member.sub


def test_minted_owner_token_is_owner(
    client: TestClient, settings: Settings, member: SignedInUser
) -> None:
    """What the forgeries below claim, and would get if they were accepted."""
    token = mint(claims_for(settings, member.sub, cognito__groups=["owner"]))
    body = client.get(ME, headers=bearer(token)).json()
    assert (body["userId"], body["isOwner"], body["groups"]) == (member.sub, True, ["owner"])


def test_real_id_and_access_tokens_from_login_are_accepted(
    client: TestClient, member: SignedInUser
) -> None:
    for token in (member.id_token, member.access_token):
        response = client.get(ME, headers=bearer(token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["userId"] == member.sub
        assert body["isOwner"] is False
        assert body["groups"] == []


def test_owner_token_carries_the_owner_flag(client: TestClient, owner: SignedInUser) -> None:
    for token in (owner.id_token, owner.access_token):
        body = client.get(ME, headers=bearer(token)).json()
        assert body["userId"] == owner.sub
        assert body["isOwner"] is True
        assert "owner" in body["groups"]


def test_bearer_scheme_is_case_insensitive(client: TestClient, member: SignedInUser) -> None:
    response = client.get(ME, headers={"Authorization": f"bearer {member.id_token}"})
    assert response.status_code == 200


# --- claims: signed with the pool's real key, but not meant for this API ------------------------

CLAIM_ATTACKS: dict[str, dict[str, Any]] = {
    "expired": {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 300},
    "expired-by-a-second": {"exp": int(time.time()) - 1},
    "no-exp": {"exp": DROP},
    "no-iat": {"iat": DROP},
    "not-yet-valid": {"nbf": int(time.time()) + 3600},
    "wrong-audience": {"aud": "someotherappclient1234"},
    "no-audience": {"aud": DROP},
    "wrong-issuer-other-pool": {
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool1"
    },
    "wrong-issuer-other-region": {"iss": "ISSUER_OTHER_REGION"},
    "wrong-issuer-plain-http": {"iss": "ISSUER_HTTP"},
    "no-issuer": {"iss": DROP},
    "id-token-with-client-id-instead-of-aud": {"aud": DROP, "client_id": "CLIENT_ID"},
    "id-token-with-aud-and-client-id": {"client_id": "CLIENT_ID"},
    "refresh-token-use": {"token_use": "refresh"},
    "no-token-use": {"token_use": DROP},
    "token-use-uppercase": {"token_use": "ID"},
    "no-sub": {"sub": DROP},
    "sub-not-a-string": {"sub": 12345},
    "groups-as-a-string": {"cognito__groups": "owner"},
}

ACCESS_CLAIM_ATTACKS: dict[str, dict[str, Any]] = {
    "access-token-with-aud-instead-of-client-id": {"client_id": DROP, "aud": "CLIENT_ID"},
    "access-token-with-aud-and-client-id": {"aud": "CLIENT_ID"},
    "access-token-for-another-client": {"client_id": "someotherappclient1234"},
    "access-token-expired": {"exp": int(time.time()) - 300},
}


def _resolve(overrides: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Placeholders that need the test's settings."""
    other_region = settings.issuer.replace(f"cognito-idp.{REGION}.", "cognito-idp.eu-west-1.")
    replacements = {
        "CLIENT_ID": settings.cognito_client_id,
        "ISSUER_OTHER_REGION": other_region,
        "ISSUER_HTTP": settings.issuer.replace("https://", "http://"),
    }
    return {k: replacements.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}


@pytest.mark.parametrize("overrides", CLAIM_ATTACKS.values(), ids=CLAIM_ATTACKS.keys())
def test_id_token_with_bad_claims_is_401(
    client: TestClient, settings: Settings, member: SignedInUser, overrides: dict[str, Any]
) -> None:
    token = mint(claims_for(settings, member.sub, **_resolve(overrides, settings)))
    assert_unauthorized(client.get(ME, headers=bearer(token)))


@pytest.mark.parametrize(
    "overrides", ACCESS_CLAIM_ATTACKS.values(), ids=ACCESS_CLAIM_ATTACKS.keys()
)
def test_access_token_with_bad_claims_is_401(
    client: TestClient, settings: Settings, member: SignedInUser, overrides: dict[str, Any]
) -> None:
    claims = claims_for(settings, member.sub, kind="access", **_resolve(overrides, settings))
    assert_unauthorized(client.get(ME, headers=bearer(mint(claims))))


# --- signatures and headers: tokens the pool never signed ---------------------------------------


def _foreign_key_same_kid(claims: dict[str, Any]) -> str:
    return mint(claims, key=FOREIGN_JWK)


def _foreign_key_embedded_jwk(claims: dict[str, Any]) -> str:
    """CVE-2018-0114 style: the header carries the attacker's own public key."""
    public = {k: FOREIGN_JWK[k] for k in ("kty", "n", "e", "kid")}
    return mint(claims, key=FOREIGN_JWK, headers={"jwk": public})


def _foreign_key_jku(claims: dict[str, Any]) -> str:
    return mint(claims, key=FOREIGN_JWK, headers={"jku": "https://attacker.example/jwks.json"})


def _alg_none(alg: str, with_kid: bool = True) -> Callable[[dict[str, Any]], str]:
    def build(claims: dict[str, Any]) -> str:
        header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
        if with_kid:
            header["kid"] = KID
        return hand_built(header, claims)

    return build


def _hs256_with_public_pem(claims: dict[str, Any]) -> str:
    """Algorithm confusion: HMAC keyed with the public key a verifier might have lying around."""
    pem = jwk.construct(MOTO_PUBLIC_JWK, "RS256").to_pem()
    signing_input = f"{b64url({'alg': 'HS256', 'typ': 'JWT', 'kid': KID})}.{b64url(claims)}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def _hs256_with_public_jwk_n(claims: dict[str, Any]) -> str:
    secret = MOTO_PUBLIC_JWK["n"].encode()
    signing_input = f"{b64url({'alg': 'HS256', 'typ': 'JWT', 'kid': KID})}.{b64url(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def _unknown_kid(claims: dict[str, Any]) -> str:
    return mint(claims, headers={"kid": "rotated-away-key"})


def _no_kid(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, MOTO_PRIVATE_JWK, algorithm="RS256")


def _kid_not_a_string(claims: dict[str, Any]) -> str:
    return mint(claims, headers={"kid": ["dummy"]})


def _genuine_key_other_alg(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, MOTO_PRIVATE_JWK, algorithm="RS512", headers={"kid": KID})


def _signature_stripped(claims: dict[str, Any]) -> str:
    header, payload, _ = mint(claims).split(".")
    return f"{header}.{payload}."


def _signature_of_another_token(claims: dict[str, Any]) -> str:
    other = mint({**claims, "sub": "someone-else"})
    header, payload, _ = mint(claims).split(".")
    return f"{header}.{payload}.{other.split('.')[2]}"


SIGNATURE_ATTACKS: dict[str, Callable[[dict[str, Any]], str]] = {
    "foreign-key-same-kid": _foreign_key_same_kid,
    "foreign-key-embedded-jwk-header": _foreign_key_embedded_jwk,
    "foreign-key-jku-header": _foreign_key_jku,
    "alg-none-with-kid": _alg_none("none"),
    "alg-none-without-kid": _alg_none("none", with_kid=False),
    "alg-None-capitalised": _alg_none("None"),
    "alg-NONE-uppercase": _alg_none("NONE"),
    "hs256-keyed-with-public-pem": _hs256_with_public_pem,
    "hs256-keyed-with-public-modulus": _hs256_with_public_jwk_n,
    "unknown-kid": _unknown_kid,
    "no-kid": _no_kid,
    "kid-not-a-string": _kid_not_a_string,
    "genuine-key-rs512": _genuine_key_other_alg,
    "signature-stripped": _signature_stripped,
    "signature-of-another-token": _signature_of_another_token,
}


@pytest.mark.parametrize("forge", SIGNATURE_ATTACKS.values(), ids=SIGNATURE_ATTACKS.keys())
def test_token_not_signed_by_the_pool_is_401(
    client: TestClient,
    settings: Settings,
    member: SignedInUser,
    forge: Callable[[dict[str, Any]], str],
) -> None:
    token = forge(claims_for(settings, member.sub, cognito__groups=["owner"]))
    assert_unauthorized(client.get(ME, headers=bearer(token)))


# --- tampering with a real token ----------------------------------------------------------------


def _tamper(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = b64url_json(payload)
    claims.update({k.replace("__", ":"): v for k, v in changes.items()})
    return f"{header}.{b64url(claims)}.{signature}"


def test_tampered_groups_keep_no_signature(client: TestClient, member: SignedInUser) -> None:
    forged = _tamper(member.id_token, cognito__groups=["owner"])
    assert forged != member.id_token
    assert_unauthorized(client.get(ME, headers=bearer(forged)))


def test_tampered_sub_is_401(client: TestClient, member: SignedInUser, owner: SignedInUser) -> None:
    forged = _tamper(member.id_token, sub=owner.sub, email=owner.email)
    assert_unauthorized(client.get(ME, headers=bearer(forged)))


def test_tampered_expiry_is_401(client: TestClient, member: SignedInUser) -> None:
    forged = _tamper(member.access_token, exp=int(time.time()) + 10 * 365 * 86400)
    assert_unauthorized(client.get(ME, headers=bearer(forged)))


def test_tampered_header_is_401(client: TestClient, member: SignedInUser) -> None:
    _, payload, signature = member.id_token.split(".")
    header = b64url({"alg": "RS256", "kid": KID, "typ": "JWT", "x": 1})
    assert_unauthorized(client.get(ME, headers=bearer(f"{header}.{payload}.{signature}")))


# --- real tokens from elsewhere: same moto signing key, other client or pool --------------------


def _sign_in_elsewhere(cognito: Any, pool_id: str, client_id: str) -> dict[str, str]:
    email = "elsewhere@example.com"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return {"id": result["IdToken"], "access": result["AccessToken"]}


def test_real_tokens_of_another_app_client_are_401(
    client: TestClient, cognito: Any, stack: LocalStack
) -> None:
    other = cognito.create_user_pool_client(
        **create_app_client_arguments(stack.user_pool_id, "other")
    )["UserPoolClient"]["ClientId"]
    tokens = _sign_in_elsewhere(cognito, stack.user_pool_id, other)
    for token in tokens.values():
        assert_unauthorized(client.get(ME, headers=bearer(token)))


def test_real_tokens_of_another_pool_are_401(client: TestClient, cognito: Any) -> None:
    """moto signs every pool's tokens with one key: only the issuer check stands in the way."""
    pool = cognito.create_user_pool(**create_user_pool_arguments("elsewhere"))["UserPool"]["Id"]
    other = cognito.create_user_pool_client(**create_app_client_arguments(pool, "web"))[
        "UserPoolClient"
    ]["ClientId"]
    tokens = _sign_in_elsewhere(cognito, pool, other)
    assert jwt.get_unverified_header(tokens["id"])["kid"] == KID
    for token in tokens.values():
        assert_unauthorized(client.get(ME, headers=bearer(token)))


# --- garbage and the Authorization header itself ------------------------------------------------

GARBAGE = {
    "word": "garbage",
    "three-dots": "a.b.c",
    "empty-segments": "..",
    "header-only": b64url({"alg": "RS256", "kid": KID}),
    "two-segments": f"{b64url({'alg': 'RS256', 'kid': KID})}.{b64url({'sub': 'x'})}",
    "header-not-json": f"{b64url('not json')}.{b64url({'sub': 'x'})}.sig",
    "header-json-array": f"{b64url('[]')}.{b64url({'sub': 'x'})}.sig",
    "header-json-number": f"{b64url('42')}.{b64url({'sub': 'x'})}.sig",
    "payload-not-json": f"{b64url({'alg': 'RS256', 'kid': KID})}.{b64url('nope')}.sig",
    "jwe-five-parts": "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d",
    "long": "x" * 8000,
    "null": "null",
}


@pytest.mark.parametrize("token", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_token_is_401(client: TestClient, token: str) -> None:
    assert_unauthorized(client.get(ME, headers=bearer(token)))


AUTHORIZATION_HEADERS: dict[str, Callable[[SignedInUser], str]] = {
    "basic": lambda user: (
        "Basic " + base64.b64encode(f"{user.email}:{user.password}".encode()).decode()
    ),
    "bearer-empty": lambda _: "Bearer ",
    "bearer-no-space": lambda _: "Bearer",
    "bearer-only-spaces": lambda _: "Bearer    ",
    "raw-token-no-scheme": lambda user: user.id_token,
    "other-scheme-real-token": lambda user: f"Token {user.id_token}",
    "token-with-trailing-junk": lambda user: f"Bearer {user.id_token} extra",
    "two-tokens": lambda user: f"Bearer {user.id_token}, Bearer {user.access_token}",
}


@pytest.mark.parametrize(
    "authorization", AUTHORIZATION_HEADERS.values(), ids=AUTHORIZATION_HEADERS.keys()
)
def test_malformed_authorization_header_is_401(
    client: TestClient, member: SignedInUser, authorization: Callable[[SignedInUser], str]
) -> None:
    assert_unauthorized(client.get(ME, headers={"Authorization": authorization(member)}))


def test_missing_authorization_is_401(client: TestClient) -> None:
    assert_unauthorized(client.get(ME))


def test_jwks_is_fetched_once_for_many_requests(
    client: TestClient, app: FastAPI, member: SignedInUser
) -> None:
    """Forged kids after the first fetch do not reach the JWKS endpoint (within the minute)."""
    verifier: TokenVerifier = app.state.container.token_verifier
    calls = 0
    fetch = verifier._fetch_jwks

    def counting_fetch() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return fetch()

    verifier._fetch_jwks = counting_fetch
    assert client.get(ME, headers=bearer(member.id_token)).status_code == 200
    for n in range(5):
        forged = mint({"sub": member.sub}, headers={"kid": f"forged-{n}"})
        assert_unauthorized(client.get(ME, headers=bearer(forged)))
    assert client.get(ME, headers=bearer(member.access_token)).status_code == 200
    assert calls == 1


# --- the JWKS refresh rule, on the verifier itself ----------------------------------------------

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Verifier1"
CLIENT = "verifierclient"
ROTATED_JWK = foreign_private_jwk("rotated")


def _public(private: dict[str, Any]) -> dict[str, Any]:
    return {
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        **{k: private[k] for k in ("kid", "n", "e")},
    }


class FakeJwks:
    """A JWKS endpoint whose keys, failure and call count the test controls."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys: list[Any] = [_public(k) for k in keys]
        self.calls = 0
        self.failure: Exception | None = None

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return {"keys": list(self.keys)}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _verifier(jwks: FakeJwks, clock: FakeClock) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER, client_id=CLIENT, owner_group="owner", fetch_jwks=jwks, monotonic=clock
    )


def _token(key: dict[str, Any], **extra: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER, "aud": CLIENT, "token_use": "id", "sub": "user-1",
        "iat": now, "exp": now + 600, **extra,
    }  # fmt: skip
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": key["kid"]})


def test_verifier_fetches_lazily_and_caches_keys() -> None:
    jwks, clock = FakeJwks(MOTO_PRIVATE_JWK), FakeClock()
    verifier = _verifier(jwks, clock)
    assert jwks.calls == 0  # nothing at construction (cold start stays off the network)
    principal = verifier.verify(_token(MOTO_PRIVATE_JWK, **{"cognito:groups": ["owner"]}))
    assert (principal.sub, principal.is_owner, principal.token_use) == ("user-1", True, "id")
    clock.now += 3600
    verifier.verify(_token(MOTO_PRIVATE_JWK))
    assert jwks.calls == 1  # a known kid never re-fetches, however old the cache


def test_unknown_kid_refetches_at_most_once_a_minute() -> None:
    jwks, clock = FakeJwks(MOTO_PRIVATE_JWK), FakeClock()
    verifier = _verifier(jwks, clock)
    verifier.verify(_token(MOTO_PRIVATE_JWK))
    assert jwks.calls == 1
    unknown = _token(ROTATED_JWK)
    for _ in range(20):  # a flood within the first minute: no fetch at all
        clock.now += 2
        with pytest.raises(Unauthorized):
            verifier.verify(unknown)
    assert jwks.calls == 1
    clock.now = 1000.0 + 60  # exactly a minute after the fetch
    with pytest.raises(Unauthorized):
        verifier.verify(unknown)
    assert jwks.calls == 2
    for _ in range(10):
        clock.now += 5
        with pytest.raises(Unauthorized):
            verifier.verify(unknown)
    assert jwks.calls == 2  # the re-fetch restarted the minute
    clock.now = 1060.0 + 60
    with pytest.raises(Unauthorized):
        verifier.verify(unknown)
    assert jwks.calls == 3


def test_a_rotated_in_key_is_picked_up_after_the_minute() -> None:
    jwks, clock = FakeJwks(MOTO_PRIVATE_JWK), FakeClock()
    verifier = _verifier(jwks, clock)
    verifier.verify(_token(MOTO_PRIVATE_JWK))
    jwks.keys.append(_public(ROTATED_JWK))  # Cognito publishes a new key
    rotated = _token(ROTATED_JWK)
    clock.now += 30
    with pytest.raises(Unauthorized):
        verifier.verify(rotated)  # too soon to look again
    assert jwks.calls == 1
    clock.now += 30
    assert verifier.verify(rotated).sub == "user-1"
    assert jwks.calls == 2
    assert verifier.verify(_token(MOTO_PRIVATE_JWK)).sub == "user-1"  # the old key still works
    assert jwks.calls == 2


def test_a_key_dropped_from_the_jwks_stops_working_after_refetch() -> None:
    jwks, clock = FakeJwks(MOTO_PRIVATE_JWK), FakeClock()
    verifier = _verifier(jwks, clock)
    verifier.verify(_token(MOTO_PRIVATE_JWK))
    jwks.keys = [_public(ROTATED_JWK)]
    clock.now += 61
    assert verifier.verify(_token(ROTATED_JWK)).sub == "user-1"
    with pytest.raises(Unauthorized):
        verifier.verify(_token(MOTO_PRIVATE_JWK))


def test_odd_jwks_entries_are_skipped_and_never_enable_hmac() -> None:
    jwks, clock = FakeJwks(MOTO_PRIVATE_JWK), FakeClock()
    secret = b"shared-secret-shared-secret-32by"
    jwks.keys = [
        "not-a-key",
        {"kty": "oct", "kid": "hmac", "k": b64url(secret), "alg": "HS256"},
        {**_public(ROTATED_JWK), "kid": ""},
        *jwks.keys,
    ]
    verifier = _verifier(jwks, clock)
    assert verifier.verify(_token(MOTO_PRIVATE_JWK)).sub == "user-1"
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "token_use": "id", "sub": "x", "iat": now}
    hs = jwt.encode(
        {**claims, "exp": now + 600}, secret, algorithm="HS256", headers={"kid": "hmac"}
    )
    with pytest.raises(Unauthorized):
        verifier.verify(hs)
    with pytest.raises(Unauthorized):
        verifier.verify(_token(ROTATED_JWK))


@pytest.mark.parametrize(
    "document",
    [[], {"keys": None}],
    ids=["not-an-object", "keys-null"],
)
def test_jwks_document_of_the_wrong_shape_is_503_not_500(document: Any) -> None:
    """A JWKS answer that is JSON but not a key set is as unusable as one that is not JSON
    (which is a 503): the verifier must not crash into a 500."""
    verifier = _verifier(FakeJwks(), FakeClock())
    verifier._fetch_jwks = lambda: document
    with pytest.raises(ServiceUnavailable):
        verifier.verify(_token(MOTO_PRIVATE_JWK))


def test_jwks_entries_of_the_wrong_shape_are_ignored() -> None:
    """A key whose `kid` is not a string cannot be selected: the token's kid is unknown (401)."""
    verifier = _verifier(FakeJwks(), FakeClock())
    verifier._fetch_jwks = lambda: {"keys": [{"kty": "RSA", "kid": ["dummy"]}]}
    with pytest.raises(Unauthorized):
        verifier.verify(_token(MOTO_PRIVATE_JWK))


@pytest.mark.parametrize(
    "failure",
    [ConnectionRefusedError("refused"), TimeoutError("timed out"), ValueError("not json")],
    ids=["refused", "timeout", "bad-document"],
)
def test_jwks_fetch_failure_is_503_and_recovers(failure: Exception) -> None:
    jwks, clock = FakeJwks(MOTO_PRIVATE_JWK), FakeClock()
    jwks.failure = failure
    verifier = _verifier(jwks, clock)
    with pytest.raises(ServiceUnavailable) as raised:
        verifier.verify(_token(MOTO_PRIVATE_JWK))
    assert raised.value.status == 503
    assert raised.value.code == "service_unavailable"
    assert raised.value.headers["Retry-After"]
    fetches = jwks.calls
    jwks.failure = None  # the endpoint is back, but the verifier backs off for a moment
    clock.now += JWKS_FAILURE_BACKOFF_SECONDS - 1
    with pytest.raises(ServiceUnavailable):
        verifier.verify(_token(MOTO_PRIVATE_JWK))
    assert jwks.calls == fetches  # no fetch during the back-off
    clock.now += 1  # after it, the next request fetches again and succeeds
    assert verifier.verify(_token(MOTO_PRIVATE_JWK)).sub == "user-1"


def test_jwks_failure_does_not_touch_cached_keys() -> None:
    jwks, clock = FakeJwks(MOTO_PRIVATE_JWK), FakeClock()
    verifier = _verifier(jwks, clock)
    verifier.verify(_token(MOTO_PRIVATE_JWK))
    jwks.failure = OSError("down")
    clock.now += 120
    with pytest.raises(ServiceUnavailable):
        verifier.verify(_token(ROTATED_JWK))  # an unknown kid needs the endpoint
    assert verifier.verify(_token(MOTO_PRIVATE_JWK)).sub == "user-1"  # a known one does not


def test_jwks_outage_is_a_503_problem_through_the_app(
    settings: Settings, member: SignedInUser
) -> None:
    container = Container(settings)
    failing = FakeJwks()
    failing.failure = OSError("unreachable")
    container.token_verifier = TokenVerifier(
        issuer=settings.issuer,
        client_id=settings.cognito_client_id,
        owner_group="owner",
        fetch_jwks=failing,
    )
    response = TestClient(create_app(settings, container)).get(ME, headers=bearer(member.id_token))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "service_unavailable"
    assert response.headers["retry-after"]
    assert failing.calls == 1
