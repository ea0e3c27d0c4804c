"""The Kratos stand-in behaves like Kratos v26.2.0 and its OpenAPI guard catches drift."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from tests.standins.kratos import REDACTED, KratosStandIn
from tests.standins.openapi import validate_response

USER = "user@example.com"


@pytest.fixture
def standin() -> Iterator[KratosStandIn]:
    with KratosStandIn() as running:
        yield running
        # Everything these tests made it answer must also satisfy the published spec.
        assert running.violations == []


@pytest.fixture
def admin(standin: KratosStandIn) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=standin.admin_url, timeout=5.0) as client:
        yield client


def links(response: httpx.Response) -> dict[str, str]:
    """rel -> absolute URL, resolving Kratos's relative Link targets against the request URL."""
    found: dict[str, str] = {}
    for part in response.headers["link"].split(","):
        target, rel = part.split(";")
        found[rel.strip().removeprefix('rel="').removesuffix('"')] = urljoin(
            str(response.request.url), target.strip().strip("<>")
        )
    return found


def query_of(target: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(target).query)


def start_flow(client: httpx.Client, kind: str) -> dict[str, Any]:
    response = client.get(f"/self-service/{kind}/api")
    assert response.status_code == 200
    flow: dict[str, Any] = response.json()
    return flow


def submit(client: httpx.Client, kind: str, flow_id: str, body: dict[str, str]) -> httpx.Response:
    return client.post(f"/self-service/{kind}", params={"flow": flow_id}, json=body)


# ---- courier messages ---------------------------------------------------------------------------


def test_paging_follows_link_next_through_three_pages(standin: KratosStandIn, admin: httpx.Client) -> None:
    ids = {standin.add_message(USER, age_s=100.0 + i)["id"] for i in range(25)}
    standin.add_message("other@example.com", age_s=1.0)

    seen: list[dict[str, Any]] = []
    response = admin.get("/admin/courier/messages", params={"recipient": USER, "page_size": 10})
    pages = [response]
    while "next" in links(response):
        response = admin.get(links(response)["next"])
        pages.append(response)
    for page in pages:
        assert page.status_code == 200
        seen.extend(page.json())

    assert [len(page.json()) for page in pages] == [10, 10, 5]
    assert {message["id"] for message in seen} == ids and len(seen) == 25
    created = [message["created_at"] for message in seen]
    assert created == sorted(created, reverse=True)  # created_at DESC across pages
    for page in pages:
        assert set(links(page)) <= {"first", "next"} and "first" in links(page)
        assert query_of(links(page)["first"])["recipient"] == [USER]
        assert query_of(links(page)["first"])["page_size"] == ["10"]
    assert "next" not in links(pages[-1])
    assert all("page_size=10" in target for _, target in standin.requests)


def test_link_targets_are_relative_by_default_and_absolute_on_request() -> None:
    for style, prefix in (("relative", "</admin/courier/messages?"), ("absolute", "<http://127.0.0.1:")):
        with KratosStandIn(link_style=style) as standin:  # type: ignore[arg-type]
            response = httpx.get(f"{standin.admin_url}/admin/courier/messages", params={"page_size": 5})
            assert response.headers["link"].startswith(prefix)
            assert standin.violations == []


def test_page_size_defaults_to_10_and_clamps_to_500(standin: KratosStandIn, admin: httpx.Client) -> None:
    for i in range(12):
        standin.add_message(USER, age_s=float(i))
    default = admin.get("/admin/courier/messages")
    assert len(default.json()) == 10 and "next" in links(default)
    huge = admin.get("/admin/courier/messages", params={"page_size": 1000})
    assert len(huge.json()) == 12
    assert query_of(links(huge)["first"])["page_size"] == ["500"]
    assert admin.get("/admin/courier/messages", params={"page_size": "ten"}).status_code == 400
    assert admin.get("/admin/courier/messages", params={"page_token": "bogus"}).status_code == 400


def test_recipient_matches_exactly_without_case_folding(standin: KratosStandIn, admin: httpx.Client) -> None:
    lower = standin.add_message(USER)["id"]
    standin.add_message("User@Example.com")

    found = admin.get("/admin/courier/messages", params={"recipient": USER, "page_size": 50}).json()
    assert [message["id"] for message in found] == [lower]
    mixed = admin.get("/admin/courier/messages", params={"recipient": "USER@EXAMPLE.COM", "page_size": 50})
    assert mixed.json() == []


def test_status_filter_and_invalid_status(standin: KratosStandIn, admin: httpx.Client) -> None:
    queued = standin.add_message(USER, status="queued")["id"]
    standin.add_message(USER, status="sent")

    found = admin.get("/admin/courier/messages", params={"status": "queued", "page_size": 50}).json()
    assert [message["id"] for message in found] == [queued]
    for bad in ("delivered", ""):
        response = admin.get("/admin/courier/messages", params={"status": bad})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 400
        assert "status" in response.json()["error"]["message"]


def test_body_and_subject_redacted_unless_dev_mode(standin: KratosStandIn, admin: httpx.Client) -> None:
    message_id = standin.add_message(USER)["id"]
    listed = admin.get("/admin/courier/messages").json()[0]
    detail = admin.get(f"/admin/courier/messages/{message_id}").json()
    for doc in (listed, detail):
        assert doc["body"] == REDACTED and doc["subject"] == REDACTED

    with KratosStandIn(dev_mode=True) as dev:
        dev.add_message(USER)
        listed = httpx.get(f"{dev.admin_url}/admin/courier/messages").json()[0]
        assert listed["subject"] == f"Use code {dev.issued_codes[0]} to verify your account"
        assert dev.issued_codes[0] in listed["body"]
        assert dev.violations == []


def test_dispatches_only_on_detail_newest_first(standin: KratosStandIn, admin: httpx.Client) -> None:
    failing = standin.add_message(
        USER,
        status="abandoned",
        dispatches=[("failed", "535 5.7.8 Authentication failed"), {"status": "failed", "error": {"x": 1}}],
    )
    quiet = standin.add_message(USER, status="queued")

    listed = admin.get("/admin/courier/messages").json()
    assert all("dispatches" not in message for message in listed)
    detail = admin.get(f"/admin/courier/messages/{failing['id']}").json()
    assert detail["send_count"] == 2
    assert [d["error"] for d in detail["dispatches"]] == [
        {"x": 1},
        {
            "code": 500,
            "status": "Internal Server Error",
            "reason": "failed to send email via smtp",
            "message": "535 5.7.8 Authentication failed",
        },
    ]
    assert detail["dispatches"][0]["created_at"] > detail["dispatches"][1]["created_at"]
    assert "dispatches" not in admin.get(f"/admin/courier/messages/{quiet['id']}").json()


def test_unknown_and_malformed_message_ids(admin: httpx.Client) -> None:
    unknown = admin.get("/admin/courier/messages/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == 404
    assert admin.get("/admin/courier/messages/not-a-uuid").status_code == 400
    assert admin.get("/admin/no-such-route").status_code == 404


def test_courier_simulation_moves_queued_messages(standin: KratosStandIn) -> None:
    first = standin.add_message(USER, status="queued")["id"]
    assert standin.run_courier("abandoned", error_message="535 5.7.8 Authentication failed") == [first]
    second = standin.add_message(USER, status="queued")["id"]
    assert standin.run_courier("sent") == [second]
    by_id = {message["id"]: message for message in standin.messages()}
    assert by_id[first]["status"] == "abandoned" and by_id[first]["send_count"] == 1
    assert by_id[first]["dispatches"][0]["error"]["message"] == "535 5.7.8 Authentication failed"
    assert by_id[second]["status"] == "sent" and by_id[second]["dispatches"][0]["status"] == "success"
    assert "error" not in by_id[second]["dispatches"][0]

    updated = standin.set_message_status(second, "processing", add_dispatch=("failed", "i/o timeout"))
    assert updated["status"] == "processing" and updated["send_count"] == 2
    assert updated["dispatches"][0]["error"]["message"] == "i/o timeout"


# ---- identities ---------------------------------------------------------------------------------


def test_identity_lookup_by_lowercased_identifier(standin: KratosStandIn, admin: httpx.Client) -> None:
    created = standin.add_identity("User@Example.com")
    standin.add_identity("staff@example.com", schema_id="organizational")

    found = admin.get("/admin/identities", params={"credentials_identifier": "USER@example.COM"}).json()
    assert [identity["id"] for identity in found] == [created["id"]]
    address = found[0]["verifiable_addresses"][0]
    assert address["value"] == USER and address["status"] == "pending" and address["verified"] is False
    assert address["verified_at"] is None  # real Kratos sends null here (spec erratum)
    assert found[0]["traits"]["email"] == "User@Example.com"
    nobody = admin.get("/admin/identities", params={"credentials_identifier": "nobody@example.com"})
    assert nobody.json() == []
    # Email is no login identifier in Olympus's organizational schema.
    staff = admin.get("/admin/identities", params={"credentials_identifier": "staff@example.com"})
    assert staff.json() == []


def test_identity_list_pages(standin: KratosStandIn, admin: httpx.Client) -> None:
    ids = {standin.add_identity(f"u{i}@example.com", verified=i == 0)["id"] for i in range(3)}
    first = admin.get("/admin/identities", params={"page_size": 2})
    second = admin.get(links(first)["next"])
    assert len(first.json()) == 2 and len(second.json()) == 1 and "next" not in links(second)
    assert {identity["id"] for identity in first.json() + second.json()} == ids
    verified = [i for i in first.json() + second.json() if i["verifiable_addresses"][0]["verified"]]
    assert verified[0]["verifiable_addresses"][0]["status"] == "completed"


def similar(admin: httpx.Client, prefix: str, **params: Any) -> httpx.Response:
    return admin.get("/admin/identities", params={"preview_credentials_identifier_similar": prefix, **params})


def found_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [identity["id"] for identity in response.json()]


def test_similar_search_is_a_case_sensitive_prefix_match(standin: KratosStandIn, admin: httpx.Client) -> None:
    john = standin.add_identity("John@X.com", verified=True)["id"]
    johnny = standin.add_identity("johnny@y.org")["id"]
    standin.add_identity("jane@x.com")
    standin.add_identity("john.staff@x.com", schema_id="organizational")  # no login identifier

    assert sorted(found_ids(similar(admin, "john"))) == sorted([john, johnny])
    assert found_ids(similar(admin, "John")) == []  # no "@": only trimmed, and LIKE is case-sensitive
    assert found_ids(similar(admin, "JOHN@X")) == [john]  # has "@": lower-cased and trimmed
    assert found_ids(similar(admin, "  john@")) == [john]
    assert found_ids(similar(admin, "ohn")) == []  # a prefix, not a substring
    assert found_ids(similar(admin, "john@x.com")) == [john]
    assert found_ids(similar(admin, "john ")) == []  # the space sits before the appended "%": kept

    [hit] = similar(admin, "john@").json()
    assert hit["credentials"]["password"]["identifiers"] == ["john@x.com"]  # fully expanded
    assert hit["verifiable_addresses"][0]["value"] == "john@x.com"
    assert hit["verifiable_addresses"][0]["verified"] is True
    assert hit["recovery_addresses"][0]["value"] == "john@x.com"
    assert {"metadata_admin", "metadata_public", "traits"} <= set(hit)
    # An empty value is no filter at all: everyone, addresses expanded but no credentials.
    everyone = similar(admin, "")
    assert len(found_ids(everyone)) == 4 and all("credentials" not in i for i in everyone.json())


def test_similar_search_escapes_like_wildcards(standin: KratosStandIn, admin: httpx.Client) -> None:
    underscore = standin.add_identity("a_b@x.com")["id"]
    standin.add_identity("axb@x.com")
    percent = standin.add_identity("50%off@x.com")["id"]
    standin.add_identity("50xoff@x.com")
    backslash = standin.add_identity("back\\slash@x.com")["id"]
    standin.add_identity("backslash@x.com")

    assert found_ids(similar(admin, "a_")) == [underscore]
    assert found_ids(similar(admin, "50%")) == [percent]
    assert found_ids(similar(admin, "50%o")) == [percent]
    assert found_ids(similar(admin, "back\\")) == [backslash]
    assert found_ids(similar(admin, "_")) == [] and found_ids(similar(admin, "%")) == []


def test_similar_search_orders_by_id_and_pages(standin: KratosStandIn, admin: httpx.Client) -> None:
    ids = [standin.add_identity(f"user{i}@example.com")["id"] for i in range(5)]
    standin.add_identity("other@example.com")

    first = similar(admin, "user", page_size=2)
    pages = [first]
    while "next" in links(pages[-1]):
        pages.append(admin.get(links(pages[-1])["next"]))
    seen = [identity_id for page in pages for identity_id in found_ids(page)]
    assert [len(page.json()) for page in pages] == [2, 2, 1]
    assert seen == sorted(ids)  # ORDER BY identities.id ASC across pages, each identity once
    for page in pages:
        assert query_of(links(page)["first"])["preview_credentials_identifier_similar"] == ["user"]
    assert query_of(links(first)["next"])["page_size"] == ["2"]

    default = similar(admin, "user")
    assert query_of(links(default)["first"])["page_size"] == ["250"] and "next" not in links(default)
    clamped = similar(admin, "user", page_size=1000)
    assert query_of(links(clamped)["first"])["page_size"] == ["500"] and len(clamped.json()) == 5


def test_similar_search_cannot_be_combined_with_other_filters(
    standin: KratosStandIn, admin: httpx.Client
) -> None:
    created = standin.add_identity(USER)["id"]
    other_filters: list[dict[str, str]] = [
        {"credentials_identifier": USER},
        {"ids": created},
        {"organization_id": "00000000-0000-4000-8000-000000000000"},
    ]
    for extra in other_filters:
        response = similar(admin, "user", **extra)
        assert response.status_code == 400
        assert response.json() == {
            "error": {
                "code": 400,
                "status": "Bad Request",
                "reason": "You cannot combine multiple filters in this API",
                "message": "The request was malformed or contained invalid parameters",
            }
        }
    bad_id = similar(admin, "user", ids="nope")
    assert bad_id.status_code == 400
    assert bad_id.json()["error"]["reason"] == "Invalid UUID value `nope` for parameter `ids`."
    # The filters alone work; an empty similar value does not count as a filter.
    assert found_ids(admin.get("/admin/identities", params={"ids": created})) == [created]
    assert found_ids(similar(admin, "", credentials_identifier=USER)) == [created]


def test_ignored_mode_models_kratos_1_0_returning_everyone(
    standin: KratosStandIn, admin: httpx.Client
) -> None:
    standin.similar_search = "ignored"
    ids = [standin.add_identity(f"u{i}@example.com")["id"] for i in range(3)]
    staff = standin.add_identity("staff@example.com", schema_id="organizational")["id"]

    response = similar(admin, "nobody-starts-like-this")
    assert found_ids(response) == sorted([*ids, staff], reverse=True)  # v1.0: ORDER BY id DESC
    assert all("credentials" not in identity for identity in response.json())  # an unfiltered list
    assert admin.get("/version").json() == {"version": "v1.0.0"}
    # Unknown to v1.0, so it combines with nothing: the exact lookup alone decides.
    exact = similar(admin, "zzz", credentials_identifier=" U1@Example.com ")
    assert found_ids(exact) == [ids[1]]
    assert standin.similar_searches() == [["nobody-starts-like-this"], ["zzz"]]

    standin.reset()
    mode: str = standin.similar_search  # (a plain str: mypy still narrows the attribute to "ignored")
    assert mode == "prefix" and admin.get("/version").json()["version"] == "v26.2.0"


def test_rejected_mode_answers_a_herodot_400(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.similar_search = "rejected"
    standin.add_identity(USER)

    refused = similar(admin, "user")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": {
            "code": 400,
            "status": "Bad Request",
            "reason": "Invalid value `user` for parameter `preview_credentials_identifier_similar`.",
            "message": "The request was malformed or contained invalid parameters",
        }
    }
    assert similar(admin, "user", credentials_identifier=USER).status_code == 400
    assert len(found_ids(admin.get("/admin/identities", params={"credentials_identifier": USER}))) == 1
    assert admin.get("/version").json() == {"version": "v26.2.0"}


def test_version_endpoint(standin: KratosStandIn, admin: httpx.Client) -> None:
    for path in ("/version", "/admin/version"):
        response = admin.get(path)
        assert response.status_code == 200 and response.json() == {"version": "v26.2.0"}
    standin.version = "v25.4.0"
    assert admin.get("/version").json() == {"version": "v25.4.0"}
    standin.similar_search = "ignored"
    assert admin.get("/admin/version").json() == {"version": "v25.4.0"}  # an explicit version wins
    standin.reset()
    assert standin.version is None and admin.get("/version").json() == {"version": "v26.2.0"}


def test_exact_lookup_does_not_unify_unicode_forms(standin: KratosStandIn, admin: httpx.Client) -> None:
    """Kratos v26.2.0 lower-cases and trims identifiers but never applies NFC/NFKC."""
    decomposed = standin.add_identity("Jose\u0301@Example.com")["id"]
    composed = standin.add_identity("ren\u00e9@example.com")["id"]

    def exact(value: str) -> list[str]:
        return found_ids(admin.get("/admin/identities", params={"credentials_identifier": value}))

    assert exact("jos\u00e9@example.com") == []  # NFC typed, NFD stored
    assert exact(" JOSE\u0301@example.COM ") == [decomposed]  # same code points: lower+trim suffice
    assert exact("rene\u0301@example.com") == []  # NFD typed, NFC stored
    assert exact("REN\u00c9@example.com") == [composed]
    assert found_ids(similar(admin, "jos\u00e9")) == []
    assert found_ids(similar(admin, "jose\u0301@")) == [decomposed]
    stored = standin.get_identity("jose\u0301@example.com")
    assert stored is not None and stored["credentials"]["password"]["identifiers"] == [
        "jose\u0301@example.com"
    ]


def test_identity_queries_are_recorded(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.add_identity(USER)
    admin.get("/admin/identities", params={"credentials_identifier": USER})
    similar(admin, "user", page_size=5)
    standin.fail_with = 500
    similar(admin, "again")  # recorded although the answer is an error
    admin.get("/admin/courier/messages")

    assert standin.identity_queries == [
        {"credentials_identifier": [USER]},
        {"preview_credentials_identifier_similar": ["user"], "page_size": ["5"]},
        {"preview_credentials_identifier_similar": ["again"]},
    ]
    assert standin.similar_searches() == [["user"], ["again"]]
    standin.reset()
    assert standin.identity_queries == [] and standin.similar_searches() == []


def test_unfiltered_list_omits_credentials_unless_asked(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.add_identity(USER)
    assert "credentials" not in admin.get("/admin/identities").json()[0]
    asked = admin.get("/admin/identities", params={"include_credential": "password"}).json()[0]
    assert asked["credentials"]["password"]["identifiers"] == [USER]


# ---- self-service flows -------------------------------------------------------------------------


def test_verification_flow_queues_a_code_for_a_known_address(standin: KratosStandIn) -> None:
    standin.add_identity("User@Example.com")
    with httpx.Client(base_url=standin.public_url, timeout=5.0) as public:
        flow = start_flow(public, "verification")
        assert flow["state"] == "choose_method" and flow["type"] == "api"
        response = submit(public, "verification", flow["id"], {"method": "code", "email": "USER@example.com"})

    assert response.status_code == 200
    assert response.json()["state"] == "sent_email"
    assert [m["id"] for m in response.json()["ui"]["messages"]] == [1080003]
    [message] = standin.messages()
    assert message["status"] == "queued" and message["recipient"] == USER
    assert message["template_type"] == "verification_code_valid" and message["send_count"] == 0
    assert len(standin.issued_codes) == 1 and standin.issued_codes[0] in message["subject"]
    identity = standin.get_identity(USER)
    assert identity is not None and identity["verifiable_addresses"][0]["status"] == "sent"


def test_unknown_address_gets_the_same_answer_and_nothing_is_queued(standin: KratosStandIn) -> None:
    standin.add_identity(USER)
    with httpx.Client(base_url=standin.public_url, timeout=5.0) as public:
        answers = []
        for email in (USER, "stranger@example.com"):
            flow = start_flow(public, "verification")
            answers.append(submit(public, "verification", flow["id"], {"method": "code", "email": email}))
    known, unknown = answers
    assert unknown.status_code == known.status_code == 200
    assert unknown.json()["state"] == known.json()["state"] == "sent_email"
    assert unknown.json()["ui"]["messages"] == known.json()["ui"]["messages"]
    assert [message["recipient"] for message in standin.messages()] == [USER]


def test_recovery_flow_queues_a_recovery_code(standin: KratosStandIn) -> None:
    standin.add_identity(USER)
    with httpx.Client(base_url=standin.public_url, timeout=5.0) as public:
        flow = start_flow(public, "recovery")
        assert {"expires_at", "issued_at", "request_url"} <= set(flow)
        response = submit(public, "recovery", flow["id"], {"method": "code", "email": USER})
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["ui"]["messages"]] == [1060003]
    [message] = standin.messages()
    assert message["template_type"] == "recovery_code_valid"
    assert message["subject"] == f"Use code {standin.issued_codes[0]} to recover access to your account"
    identity = standin.get_identity(USER)
    assert identity is not None and identity["verifiable_addresses"][0]["status"] == "pending"


def test_flow_errors(standin: KratosStandIn) -> None:
    with httpx.Client(base_url=standin.public_url, timeout=5.0) as public:
        flow = start_flow(public, "verification")
        invalid = submit(public, "verification", flow["id"], {"method": "code", "email": "not-an-email"})
        wrong_method = submit(public, "verification", flow["id"], {"method": "link", "email": USER})
        unknown = submit(public, "verification", "00000000-0000-4000-8000-000000000000", {"method": "code"})
        malformed = submit(public, "verification", "nope", {"method": "code", "email": USER})
        other_kind = submit(public, "recovery", flow["id"], {"method": "code", "email": USER})
        standin.expire_flows()
        expired = submit(public, "verification", flow["id"], {"method": "code", "email": USER})

    assert invalid.status_code == 400 and invalid.json()["state"] == "choose_method"
    email_node = next(n for n in invalid.json()["ui"]["nodes"] if n["attributes"]["name"] == "email")
    assert email_node["messages"][0]["id"] == 4000001
    assert wrong_method.status_code == 400 and wrong_method.json()["ui"]["messages"][0]["id"] == 4010006
    assert unknown.status_code == 404 and other_kind.status_code == 404
    assert malformed.status_code == 400 and "error" in malformed.json()
    assert expired.status_code == 410
    assert expired.json()["error"]["id"] == "self_service_flow_expired" and expired.json()["use_flow_id"]
    assert standin.messages() == []


def test_auto_courier_sends_queued_flow_messages() -> None:
    with KratosStandIn(auto_courier=("sent", 0.01)) as standin:
        standin.add_identity(USER)
        with httpx.Client(base_url=standin.public_url, timeout=5.0) as public:
            flow = start_flow(public, "verification")
            submit(public, "verification", flow["id"], {"method": "code", "email": USER})
        done = threading.Event()
        for _ in range(500):  # bounded wait for the timer; asserts the outcome, not its timing
            if standin.messages()[0]["status"] == "sent" or done.wait(0.01):
                break
        assert standin.messages()[0]["status"] == "sent"
        assert standin.violations == []


# ---- faults and lifecycle -----------------------------------------------------------------------


def test_fail_with_answers_a_herodot_error(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.fail_with = 503
    response = admin.get("/admin/courier/messages")
    assert response.status_code == 503 and response.json()["error"]["code"] == 503
    standin.fail_with = None
    assert admin.get("/admin/courier/messages").status_code == 200


def test_garbage_is_not_json_or_has_the_wrong_shape(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.garbage = True
    html = admin.get("/admin/courier/messages")
    assert html.status_code == 200
    with pytest.raises(ValueError):
        html.json()
    standin.garbage = "json"
    shaped = admin.get("/admin/courier/messages")
    assert shaped.status_code == 200 and isinstance(shaped.json(), dict)
    with pytest.raises(AssertionError):
        validate_response("GET", "/admin/courier/messages", 200, shaped.json())


def test_latency_and_hang_time_out_clients_and_stop_releases_them() -> None:
    before = set(threading.enumerate())
    standin = KratosStandIn().start()
    client = httpx.Client(base_url=standin.admin_url, timeout=0.2)
    assert client.get("/admin/courier/messages").status_code == 200  # leaves a keep-alive connection
    standin.latency = 5.0
    with pytest.raises(httpx.ReadTimeout):
        client.get("/admin/courier/messages")
    standin.latency, standin.hang = 0.0, True
    with pytest.raises(httpx.ReadTimeout):
        client.get("/admin/courier/messages")
    standin.stop()
    standin.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{standin.admin_url}/admin/courier/messages", timeout=1.0)
    client.close()
    assert set(threading.enumerate()) <= before
    assert [method for method, _ in standin.requests] == ["GET", "GET", "GET"]


def test_reset_forgets_state_and_faults(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.add_identity(USER)
    standin.add_message(USER)
    standin.fail_with = 500
    admin.get("/admin/identities")
    standin.reset()
    assert standin.fail_with is None and standin.requests == [] and standin.messages() == []
    assert admin.get("/admin/identities").json() == []


# ---- the OpenAPI guard --------------------------------------------------------------------------


def test_validation_accepts_the_real_shapes_and_rejects_wrong_ones(standin: KratosStandIn) -> None:
    message = standin.add_message(USER, dispatches=["success"])
    validate_response("GET", "/admin/courier/messages/{id}", 200, message)
    validate_response("GET", "/admin/courier/messages?recipient=x", 200, [message])

    broken = {key: value for key, value in message.items() if key != "send_count"}
    wrong = [
        ("/admin/courier/messages", [broken], "send_count"),
        ("/admin/courier/messages", [{**message, "status": "delivered"}], "delivered"),
        ("/admin/courier/messages", {"items": [message]}, "array"),
        (f"/admin/courier/messages/{message['id']}", {**message, "created_at": "yesterday"}, "date-time"),
        ("/admin/identities", [{"id": message["id"]}], "schema_id"),
    ]
    for path, body, needle in wrong:
        with pytest.raises(AssertionError, match=needle):
            validate_response("GET", path, 200, body)
    with pytest.raises(AssertionError, match="no operation"):
        validate_response("GET", "/admin/nothing-here", 200, [])


def test_the_standin_records_its_own_violations() -> None:
    with KratosStandIn() as standin:
        standin.add_message(USER, status="delivered", template_type="bogus_template")
        assert httpx.get(f"{standin.admin_url}/admin/courier/messages").status_code == 200
        [violation] = standin.violations
        assert "delivered" in violation and "bogus_template" in violation


def test_a_standin_crash_is_a_500_and_a_violation() -> None:
    with KratosStandIn() as standin:
        standin.garbage = "no-such-kind"
        response = httpx.get(f"{standin.admin_url}/admin/courier/messages")
        assert response.status_code == 500 and response.json()["error"]["code"] == 500
        [violation] = standin.violations
        assert "stand-in crashed" in violation


# ---- misdirected URLs: what answers when KRATOS_*_URL points at something else -------------------


def test_auth_proxy_answers_401_to_everything(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.misdirected = "auth_proxy"
    for path in ("/admin/identities", "/admin/courier/messages", "/self-service/verification/api"):
        response = admin.get(path)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Basic")
        assert "text/html" in response.headers["content-type"]


def test_public_port_has_no_admin_routes(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.misdirected = "public_port"
    listing = admin.get("/admin/identities")
    assert (listing.status_code, listing.text) == (404, "404 page not found\n")
    assert admin.get("/admin/courier/messages").status_code == 404
    assert admin.get("/self-service/verification/api").status_code == 200  # the flows still work


def test_admin_port_has_no_self_service_routes(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.misdirected = "admin_port"
    assert admin.get("/self-service/recovery/api").status_code == 404
    assert admin.get("/admin/identities").status_code == 200


def test_login_page_answers_html_200_to_everything(standin: KratosStandIn, admin: httpx.Client) -> None:
    standin.misdirected = "login_page"
    response = admin.get("/admin/identities")
    assert response.status_code == 200 and response.text.startswith("<!DOCTYPE html>")
    assert admin.post("/self-service/verification", json={}).status_code == 200
    standin.reset()
    assert standin.misdirected is None and admin.get("/admin/identities").json() == []


def test_verification_disabled_answers_kratos_400_and_recovery_still_works(
    standin: KratosStandIn, admin: httpx.Client
) -> None:
    """Olympus's IAM: selfservice.flows.verification.enabled is false."""
    standin.verification_enabled = False
    refused = admin.get("/self-service/verification/api")
    assert refused.status_code == 400
    assert refused.json()["error"]["reason"] == "Verification is not allowed because it was disabled."
    posted = admin.post("/self-service/verification", params={"flow": USER}, json={"method": "code"})
    assert posted.status_code == 400
    assert admin.get("/self-service/recovery/api").status_code == 200
