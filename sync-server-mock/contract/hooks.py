"""schemathesis hooks for the mock's contract run (run.sh sets
SCHEMATHESIS_HOOKS=hooks): signs in as CONTRACT_USER on CONTRACT_URL.

Every operation uses one token, except `POST /auth/v1/logout`, which gets
a token of its own each time: it revokes the token it is sent, and the
shared one must live through the whole run."""

import os

import requests
import schemathesis

URL = os.environ["CONTRACT_URL"]
USER = os.environ["CONTRACT_USER"]


def login() -> str:
    # The demo users' passwords are their names (seed.rs).
    answer = requests.post(
        f"{URL}/auth/v1/login", json={"username": USER, "password": USER}, timeout=30
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


@schemathesis.auth(refresh_interval=None)
class PortalLogin:
    shared = None

    def get(self, case, context):
        if case.path == "/auth/v1/logout":
            return login()
        if PortalLogin.shared is None:
            PortalLogin.shared = login()
        return PortalLogin.shared

    def set(self, case, token, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"
