"""Participants join a table by its code, take a role, and get it back after a reload."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.play.router import DEVICE_COOKIE
from tests.conftest import form, join_code, new_phone

ROLES = ["interviewer", "respondent1", "respondent2", "reporter", "observer"]


def _code(workshop: dict, index: int = 0) -> str:
    return join_code(workshop["tables"][index]["join_url"])


def test_join_page_lists_roles(client: TestClient, workshop: dict) -> None:
    page = client.get(f"/j/{_code(workshop)}")
    assert page.status_code == 200
    for role in ROLES:
        assert f'value="{role}"' in page.text
    assert "Kies je rol" in page.text
    for word in ("Interviewer", "Respondent 1", "Respondent 2", "Rapporteur", "Observant"):
        assert f'<span class="role-name">{word}</span>' in page.text


def test_five_phones_take_five_roles_and_keep_them_after_reload(
    client: TestClient, workshop: dict
) -> None:
    code = _code(workshop)
    phones = [new_phone(client) for _ in ROLES]
    for phone, role in zip(phones, ROLES, strict=True):
        response = phone.post(f"/j/{code}", data=form(phone, {"role": role, "name": f"P-{role}"}))
        assert response.status_code == 200, response.text
        assert str(response.url).endswith(f"/t/{code}")
    state = client.get(f"/api/tables/{code}").json()
    assert sorted(m["role"] for m in state["members"]) == sorted(ROLES)
    assert state["free_roles"] == []
    words = ["interviewer", "respondent 1", "respondent 2", "rapporteur", "observant"]
    for phone, role, word in zip(phones, ROLES, words, strict=True):
        again = phone.get(f"/j/{code}")  # the QR code scanned again, or a reload
        assert str(again.url).endswith(f"/t/{code}")
        assert f"P-{role}" in again.text
        assert f"Jij bent de {word}" in again.text  # the role's one name (ROLE_LABELS)


def test_a_role_cannot_be_taken_twice(client: TestClient, workshop: dict) -> None:
    code = _code(workshop)
    first, second = new_phone(client), new_phone(client)
    assert first.post(f"/api/tables/{code}/seat", json={"role": "interviewer"}).status_code == 201
    refused = second.post(f"/api/tables/{code}/seat", json={"role": "interviewer"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "role_taken"
    page = second.post(f"/j/{code}", data=form(second, {"role": "interviewer"}))
    assert page.status_code == 409 and "Iemand anders heeft deze rol al" in page.text


def test_table_of_four_and_extra_observers_and_full_table(
    client: TestClient, workshop: dict
) -> None:
    code = _code(workshop)
    for role in ["interviewer", "respondent1", "respondent2", "reporter"]:
        assert (
            new_phone(client).post(f"/api/tables/{code}/seat", json={"role": role}).status_code
            == 201
        )
    for _ in range(3):  # observers 1..3 make seven
        assert (
            new_phone(client)
            .post(f"/api/tables/{code}/seat", json={"role": "observer"})
            .status_code
            == 201
        )
    full = new_phone(client).post(f"/api/tables/{code}/seat", json={"role": "observer"})
    assert full.status_code == 409 and full.json()["error"]["code"] == "table_full"


def test_changing_role_keeps_one_seat(client: TestClient, workshop: dict) -> None:
    code = _code(workshop)
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "observer"})
    phone.post(f"/api/tables/{code}/seat", json={"role": "reporter"})
    members = client.get(f"/api/tables/{code}").json()["members"]
    assert [m["role"] for m in members] == ["reporter"]


def test_unknown_table_and_bad_role(client: TestClient, workshop: dict) -> None:
    html = {"accept": "text/html"}
    for code in ["AAAAAAAA", "nope", "<script>", "A" * 500]:
        response = client.get(f"/j/{code}", headers=html)
        assert response.status_code == 404
        assert "Er is geen tafel met deze code" in response.text
        assert "<script>" not in response.text
    bad_role = client.post(f"/api/tables/{_code(workshop)}/seat", json={"role": "king"})
    assert bad_role.status_code == 422
    form_bad_role = client.post(f"/j/{_code(workshop)}", data=form(client, {"role": "king"}))
    assert form_bad_role.status_code == 422


def test_typed_code_is_forgiving(client: TestClient, workshop: dict) -> None:
    code = _code(workshop)
    typed = f"{code[:4].lower()}-{code[4:]}"
    response = client.get("/j", params={"code": typed})
    assert str(response.url).endswith(f"/j/{code}")


def test_forged_device_token_gets_no_seat(client: TestClient, workshop: dict) -> None:
    code = _code(workshop)
    owner = new_phone(client)
    owner.post(f"/api/tables/{code}/seat", json={"role": "respondent1", "name": "Anna"})
    forger = new_phone(client)
    forger.cookies.set(DEVICE_COOKIE, "forged-token-value")
    page = forger.get(f"/t/{code}", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/j/{code}"
    forger.cookies.set(DEVICE_COOKIE, "x" * 5000)
    assert forger.get(f"/t/{code}", follow_redirects=False).status_code == 303
    # The owner's cookie does not open another table.
    other_code = _code(workshop, 1)
    assert owner.get(f"/t/{other_code}", follow_redirects=False).status_code == 303


def test_names_are_escaped_and_limited(client: TestClient, workshop: dict) -> None:
    code = _code(workshop)
    evil = new_phone(client)
    name = '<script>alert("x")</script>'
    assert (
        evil.post(f"/api/tables/{code}/seat", json={"role": "reporter", "name": name}).status_code
        == 201
    )
    page = new_phone(client).get(f"/j/{code}")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    too_long = new_phone(client).post(
        f"/api/tables/{code}/seat", json={"role": "observer", "name": "x" * 41}
    )
    assert too_long.status_code == 422
    form_long = (p := new_phone(client)).post(
        f"/j/{code}", data=form(p, {"role": "observer", "name": "x" * 999})
    )
    assert form_long.status_code == 422 and "maximaal 40 tekens" in form_long.text


def test_leaving_frees_the_role(client: TestClient, workshop: dict) -> None:
    code = _code(workshop)
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "interviewer"})
    phone.post(f"/t/{code}/leave", data=form(phone))
    assert "interviewer" in client.get(f"/api/tables/{code}").json()["free_roles"]


def test_finished_workshop_refuses_joining(client: TestClient, workshop: dict) -> None:
    from sqlmodel import Session

    from app.models import Workshop

    with Session(client.app.state.engine) as session:
        stored = session.get(Workshop, workshop["id"])
        stored.status = "finished"
        session.add(stored)
        session.commit()
    page = client.get(f"/j/{_code(workshop)}", headers={"accept": "text/html"})
    assert page.status_code == 410 and "Deze workshop is afgelopen" in page.text
    api = new_phone(client).post(f"/api/tables/{_code(workshop)}/seat", json={"role": "observer"})
    assert api.status_code == 410
