"""schemathesis hooks for the mock's contract run (run.sh sets
SCHEMATHESIS_HOOKS=hooks): signs in as CONTRACT_USER on CONTRACT_URL.

Every operation uses one token, except `POST /auth/v1/logout`, which gets
a token of its own each time: it revokes the token it is sent, and the
shared one must live through the whole run."""

import os
import re

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


# What a schema cannot state. The document states every constraint of a
# request's shape (lengths, patterns, enums, required fields, formats), so a
# request it allows may be refused only for one of these: a reference to
# something that does not exist or is out of the caller's scope, a rule about
# the data as it stands (a taken id, a conditional segment's members, a
# cycle), two parts of a request that must agree, tags or language tags equal
# up to case, or a cursor the server did not issue. The reasons are core's
# and the server's own words (ValidationReason's Display, error.rs).
DATA_REASONS = (
    "already exists",  # an id taken
    "does not exist",  # an organization, a customer
    "is outside the scope of",  # a customer of another organization
    "is defined by conditions",  # members of a conditional segment
    "is a static segment",  # nothing to evaluate
    "would make a segment include itself",  # Cycle
    "has a duplicate entry",  # equal up to case (tags, language tags)
    "must be the customer id of the path",  # body and path disagree
    "is not a cursor this server issued",  # opaque cursors
    "is not one of the allowed codes",  # UnknownCode: see below
)

# JSON Schema counts 247.0 as an integer; serde reads only 247 into an i64.
# No schema keyword can state "without a fraction part" (JSON.stringify and
# every JSON encoder write whole numbers without one).
WHOLE_FLOAT = re.compile(r"invalid type: floating point `-?[0-9]+(\.0)?(e[+-]?[0-9]+)?`, expected i64")


STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def node_at(body, path):
    """The JSON value at an error path such as `criteria.all[1].not.to`."""
    value = body
    for key, index in STEP.findall(path):
        if key:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return None
            value = value[int(index)]
    return value


def empty_range_or_fractional_days(body, field):
    """Whether a `Malformed` at `field` is one of the cross-field checks of
    criteria the Criteria schema lists as not stated: `to` before `from`,
    `max` below `min`, or a whole number of days written as a float."""
    parent_path, _, last = field.rpartition(".")
    parent = node_at(body, parent_path)
    if not isinstance(parent, dict):
        return False
    if last == "to":
        start, end = parent.get("from"), parent.get("to")
        return isinstance(start, str) and isinstance(end, str) and end < start
    if last == "max":
        low, high = parent.get("min"), parent.get("max")
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (low, high))
        return numbers and high < low
    if last in ("days", "last_days"):
        days = parent.get(last)
        return isinstance(days, float) and days.is_integer()
    return False


@schemathesis.check
def refused_only_for_what_a_schema_cannot_state(ctx, response, case):
    """A schema-valid request answered 400 or 422 must name a reason in
    DATA_REASONS (or be `unknown_reference`). `UnknownCode` is only data
    when it is about a reference inside criteria (`in_segment` naming no
    live segment): anywhere else it is a closed list the schema states."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    body = response.json()
    if body.get("error") == "unknown_reference":
        return None
    reason = body.get("reason", "")
    field = body.get("field") or ""
    if reason == "is not one of the allowed codes" and not field.endswith("in_segment"):
        raise AssertionError(f"schema-valid request refused with a closed list's code: {body}")
    if WHOLE_FLOAT.search(reason):
        return None
    if reason == "is malformed" and empty_range_or_fractional_days(case.body, field):
        return None
    if not any(r in reason for r in DATA_REASONS):
        raise AssertionError(f"schema-valid request refused for its shape: {body}")
    return None
