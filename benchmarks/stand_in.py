"""The table, the pool and the secret every target reads: moto on loopback, seeded through the
project's API.

A replaying proxy stands in front of moto: it forwards a request the first time and answers the
same request from memory after that, whatever the service (a request is its method, path, body
and `X-Amz-Target`: the Query, the revocation BatchGetItem and GetSecretValue alike). Neither the
table nor the secret changes while the benchmark reads them, so a replayed answer is the answer
moto would give, and botocore still builds, signs, sends and parses every call; moto's own time
per Query (about 13 ms here, far more than either framework spends) stays out of the figures.
"""

import http.server
import logging
import os
import socket
import threading
import urllib.request
from typing import Any, ClassVar

REGION = "us-east-1"
POSTS = 5
CURSOR_SECRET = "b" * 48
"""The cursor secret's value: in Secrets Manager for the targets, given directly to those that
read it from the environment (the baseline, and the project when its cost is measured)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Replaying(http.server.BaseHTTPRequestHandler):
    """Forwards a request to moto the first time, then answers the same request from memory."""

    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # one write per answer, flushed after it
    upstream = ""
    answers: ClassVar[dict[tuple[str, ...] | tuple[Any, ...], tuple[Any, ...]]] = {}

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = (self.command, self.path, body, self.headers.get("X-Amz-Target", ""))
        if key not in self.answers:
            request = urllib.request.Request(
                self.upstream + self.path, data=body or None, method=self.command,
                headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
            )  # fmt: skip
            with urllib.request.urlopen(request) as upstream:
                kept = [(k, v) for k, v in upstream.getheaders() if k.lower() in _KEPT_HEADERS]
                self.answers[key] = (upstream.status, kept, upstream.read())
        status, headers, payload = self.answers[key]
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


_KEPT_HEADERS = frozenset({"content-type", "x-amz-crc32", "x-amzn-requestid"})


def replaying_proxy(upstream: str) -> str:
    """A loopback endpoint that replays moto's answer to any request it has seen before."""
    _Replaying.upstream = upstream
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Replaying)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def start() -> dict[str, str]:
    """moto on loopback, provisioned as the local stack, with published posts and an owner.

    Returns the environment the function would get, plus the owner's ID token.
    """
    import boto3
    from fastapi.testclient import TestClient
    from moto.server import ThreadedMotoServer

    from portfolio_api.core.clock import system_clock
    from portfolio_api.core.settings import Settings
    from portfolio_api.local import moto_extensions
    from portfolio_api.local.stack import OWNER_GROUP, provision
    from portfolio_api.repositories.users import UserRepository
    from portfolio_api.services.owner_setup import ensure_owner

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's line per call
    port = _free_port()
    moto_extensions.install()
    ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
    aws = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    os.environ.update(aws)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    cognito = boto3.client("cognito-idp", region_name=REGION)
    stack = provision(dynamodb, cognito, table_name="portfolio-bench", pool_name="bench")
    email, password = "owner@example.com", "Bench-Owner-Pass-1!"
    ensure_owner(
        cognito, UserRepository(dynamodb, stack.table_name), user_pool_id=stack.user_pool_id,
        email=email, password=password, owner_group=OWNER_GROUP, clock=system_clock,
    )  # fmt: skip
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="portfolio-bench-cursor", SecretString=CURSOR_SECRET
    )
    tokens = cognito.initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    aws["AWS_ENDPOINT_URL"] = replaying_proxy(aws["AWS_ENDPOINT_URL"])
    environment = {
        **aws,
        "DYNAMODB_TABLE_NAME": stack.table_name,
        "COGNITO_USER_POOL_ID": stack.user_pool_id,
        "COGNITO_CLIENT_ID": stack.client_id,
        "COGNITO_REGION": REGION,
        "ENVIRONMENT": "dev",
        "LOG_LEVEL": "WARNING",  # no access line: the peer writes none
        "AWS_LAMBDA_FUNCTION_NAME": "ApiFunction",  # as Lambda sets it
        "CORS_ALLOW_ORIGINS": "*",
        "ALLOW_SIGNUP": "true",
        "CURSOR_SECRET_ARN": secret["ARN"],  # as deployed: read at init (GetSecretValue)
    }
    os.environ.update(environment)
    from portfolio_api.main import create_app

    settings = Settings(
        **{k.lower(): v for k, v in environment.items() if not k.startswith("AWS")},
        cursor_secret=CURSOR_SECRET,
    )
    client = TestClient(create_app(settings.model_copy(update={"log_level": "WARNING"})))
    bearer = {"Authorization": f"Bearer {tokens['IdToken']}"}
    for n in range(POSTS):
        post = {
            "title": f"Serverless notes, part {n} — café edition",
            "summary": "How this site's API runs.",
            "content": "word " * (150 * (n + 1)),
            "category": "Engineering",
            "tags": ["aws", "python"],
            "status": "published",
        }
        created = client.post("/v1/blog/posts", json=post, headers=bearer)
        assert created.status_code == 201, created.text
    draft = {"title": "Unfinished", "content": "Soon.", "category": "Notes"}
    assert client.post("/v1/blog/posts", json=draft, headers=bearer).status_code == 201
    return {**environment, "ID_TOKEN": tokens["IdToken"]}


def api_event(query: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
    """An API Gateway (REST) proxy event for `GET /v1/blog/posts`."""
    headers = {"Accept": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com",
               **headers}  # fmt: skip
    return {
        "resource": "/v1/blog/posts",
        "path": "/v1/blog/posts",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/v1/blog/posts",
            "httpMethod": "GET",
            "path": "/dev/v1/blog/posts",
            "stage": "dev",
            "requestId": "bench-request",
            "accountId": "123456789012",
            "apiId": "abc123",
            "protocol": "HTTP/1.1",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "bench"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def visit_event(user_agent: str) -> dict[str, Any]:
    """`POST /v1/visitors/track` from `user_agent`: the bot filter and the metrics it counts."""
    event = api_event({}, {"User-Agent": user_agent, "Content-Type": "application/json"})
    for holder in (event, event["requestContext"]):
        holder["httpMethod"] = "POST"
    event["resource"] = event["path"] = event["requestContext"]["resourcePath"] = (
        "/v1/visitors/track"
    )
    event["requestContext"]["path"] = "/dev/v1/visitors/track"
    event["requestContext"]["identity"]["userAgent"] = user_agent
    event["queryStringParameters"] = event["multiValueQueryStringParameters"] = None
    event["body"] = '{"path": "/"}'
    return event
