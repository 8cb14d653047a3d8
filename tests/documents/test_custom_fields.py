"""Custom fields: definitions by managers, typed values with field-named errors, stale
writes, the task-list filter, the export columns, and escaping on the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from itpm.core.models import AuditEvent
from itpm.documents.custom_fields import custom_fields_for_export
from itpm.documents.models import CustomField, TaskCustomValues

V1 = "/api/v1"
FIELDS = [
    {"key": "vendor_ticket", "name": "Vendor ticket"},
    {"key": "site", "name": "Site", "field_type": "choice", "choices": ["Berlin", "Lisbon"]},
    {"key": "cost", "name": "Cost estimate", "field_type": "number"},
    {"key": "due", "name": "Vendor due", "field_type": "date"},
    {"key": "contact", "name": "Contact", "field_type": "user"},
    {"key": "onsite", "name": "On site", "field_type": "bool"},
]


@pytest.fixture
def fields(api: Any, project: Any) -> dict[str, Any]:
    made = {}
    for body in FIELDS:
        response = api("manager").post(f"{V1}/projects/APL/custom-fields", body,
                                       content_type="application/json")  # fmt: skip
        assert response.status_code == 201, response.content
        made[body["key"]] = response.json()
    return made


def _patch(client: Client, task: Any, values: dict[str, Any], version: int | None = 1) -> Any:
    return client.patch(f"{V1}/projects/APL/tasks/{task.pk}/custom-fields",
                        {"version": version, "values": values}, content_type="application/json")  # fmt: skip


def test_only_managers_define_fields(api: Any, project: Any) -> None:
    body = {"key": "site", "name": "Site"}
    url = f"{V1}/projects/APL/custom-fields"
    assert api("member").post(url, body, content_type="application/json").status_code == 403
    assert api("outsider").post(url, body, content_type="application/json").status_code == 404
    assert api("manager").post(url, body, content_type="application/json").status_code == 201
    again = api("manager").post(url, body, content_type="application/json")
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "key"
    assert AuditEvent.objects.filter(action="custom_field.create").count() == 1
    assert [f["key"] for f in api("viewer").get(url).json()] == ["site"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Bad Key", "name": "X"}, "key"),
        ({"key": "pick", "name": "Pick", "field_type": "choice"}, "choices"),
        ({"key": "t", "name": "T", "choices": ["a"]}, "choices"),
        ({"key": "t", "name": "T", "field_type": "colour"}, "field_type"),
    ],
)
def test_bad_definitions_name_the_field(api: Any, project: Any, body: Any, field: str) -> None:
    response = api("manager").post(f"{V1}/projects/APL/custom-fields", body,
                                   content_type="application/json")  # fmt: skip
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]


def test_values_are_stored_in_canonical_form(
    api: Any, tasks: dict[str, Any], fields: dict[str, Any]
) -> None:
    response = _patch(api("member"), tasks["code"], {
        "vendor_ticket": "  CASE-1 ", "site": "Berlin", "cost": "1200.50", "due": "2027-03-01",
        "contact": "mia", "onsite": "yes"})  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["values"] == {
        "vendor_ticket": "CASE-1", "site": "Berlin", "cost": "1200.5", "due": "2027-03-01",
        "contact": "mia", "onsite": True}  # fmt: skip
    assert response.json()["version"] == 2
    read = api("viewer").get(f"{V1}/projects/APL/tasks/{tasks['code'].pk}/custom-fields").json()
    assert read["values"]["cost"] == "1200.5" and read["version"] == 2
    event = AuditEvent.objects.get(action="task.custom_fields")
    assert event.changes["site"] == [None, "Berlin"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"cost": "twelve"}, "values.cost"),
        ({"cost": "1e20"}, "values.cost"),
        ({"cost": True}, "values.cost"),
        ({"due": "31/01/2027"}, "values.due"),
        ({"site": "Paris"}, "values.site"),
        ({"contact": "oscar"}, "values.contact"),
        ({"onsite": "maybe"}, "values.onsite"),
        ({"vendor_ticket": 12}, "values.vendor_ticket"),
        ({"vendor_ticket": "x" * 1001}, "values.vendor_ticket"),
        ({"nope": "1"}, "values.nope"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_422_naming_the_field(
    api: Any, tasks: dict[str, Any], fields: dict[str, Any], values: Any, field: str
) -> None:
    response = _patch(api("member"), tasks["code"], {"site": "Lisbon", **values})
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not TaskCustomValues.objects.exclude(values={}).exists()


def test_a_stale_write_is_a_409_and_changes_nothing(
    api: Any, tasks: dict[str, Any], fields: dict[str, Any]
) -> None:
    assert _patch(api("member"), tasks["code"], {"site": "Berlin"}, version=1).status_code == 200
    stale = _patch(api("manager"), tasks["code"], {"site": "Lisbon"}, version=1)
    assert stale.status_code == 409
    assert TaskCustomValues.objects.get().values == {"site": "Berlin"}
    missing = _patch(api("member"), tasks["code"], {"site": "Lisbon"}, version=None)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "version"


def test_viewers_read_but_do_not_write_values(
    api: Any, tasks: dict[str, Any], fields: dict[str, Any]
) -> None:
    assert _patch(api("viewer"), tasks["code"], {"site": "Berlin"}).status_code == 403
    assert _patch(api("outsider"), tasks["code"], {"site": "Berlin"}).status_code == 404
    url = f"{V1}/projects/APL/tasks/{tasks['code'].pk}/custom-fields"
    assert api("viewer").get(url).status_code == 200
    assert api("outsider").get(url).status_code == 404


def test_a_required_field_cannot_be_left_empty(
    api: Any, tasks: dict[str, Any], fields: dict[str, Any]
) -> None:
    site = fields["site"]
    response = api("manager").patch(f"{V1}/projects/APL/custom-fields/{site['id']}",
                                    {"version": site["version"], "required": True},
                                    content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["required"] is True
    refused = _patch(api("member"), tasks["code"], {"cost": "5"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "values.site"
    assert _patch(api("member"), tasks["code"], {"cost": "5", "site": "Lisbon"}).status_code == 200
    cleared = _patch(api("member"), tasks["code"], {"site": None}, version=2)
    assert cleared.status_code == 422


def test_a_stale_definition_edit_is_a_409(api: Any, fields: dict[str, Any]) -> None:
    site = fields["site"]
    url = f"{V1}/projects/APL/custom-fields/{site['id']}"
    ok = api("manager").patch(
        url, {"version": 1, "name": "Location"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api("manager").patch(
        url, {"version": 1, "name": "Place"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert CustomField.objects.get(pk=site["id"]).name == "Location"


def test_the_task_list_filters_by_custom_fields(
    api: Any, tasks: dict[str, Any], fields: dict[str, Any]
) -> None:
    _patch(api("member"), tasks["code"], {"site": "Berlin", "cost": "10.0", "onsite": True})
    _patch(api("member"), tasks["design"], {"site": "Lisbon", "cost": "10.50"})

    def names(query: str) -> list[str]:
        response = api("viewer").get(f"{V1}/projects/APL/tasks?{query}")
        assert response.status_code == 200, response.content
        return sorted(t["name"] for t in response.json()["items"])

    assert names("cf.site=Berlin") == ["Code"]
    assert names("cf.site=Lisbon&cf.cost=10.5") == ["Design"]
    assert names("cf.cost=10") == ["Code"]  # "10.0" was stored as "10"
    assert names("cf.onsite=true") == ["Code"]
    assert names("cf.site=") == ["Build", "Launch"]
    assert names("cf.site=Berlin&status=not_started") == ["Code"]
    for query, field in (("cf.colour=red", "cf.colour"), ("cf.cost=abc", "cf.cost"),
                         ("cf.site=Paris", "cf.site")):  # fmt: skip
        response = api("viewer").get(f"{V1}/projects/APL/tasks?{query}")
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["field"] == field


def test_deleting_a_field_removes_its_values(
    api: Any, tasks: dict[str, Any], fields: dict[str, Any]
) -> None:
    _patch(api("member"), tasks["code"], {"site": "Berlin", "vendor_ticket": "C-1"})
    url = f"{V1}/projects/APL/custom-fields/{fields['site']['id']}"
    assert api("member").delete(url).status_code == 403
    assert api("manager").delete(url).status_code == 204
    assert TaskCustomValues.objects.get().values == {"vendor_ticket": "C-1"}
    assert AuditEvent.objects.filter(action="custom_field.delete").count() == 1


def test_export_columns_for_the_tabular_export(
    api: Any,
    project: Any,
    tasks: dict[str, Any],
    fields: dict[str, Any],
    django_assert_num_queries: Any,
) -> None:
    _patch(api("member"), tasks["code"], {"site": "Berlin", "onsite": False, "cost": "3"})
    with django_assert_num_queries(2):  # the fields, then every value at once
        columns = custom_fields_for_export(project)
    assert [h for h, _ in columns] == [f["name"] for f in FIELDS]
    row = {h: get(tasks["code"]) for h, get in columns}
    assert row == {"Vendor ticket": "", "Site": "Berlin", "Cost estimate": "3", "Vendor due": "",
                   "Contact": "", "On site": "no"}  # fmt: skip
    assert all(get(tasks["design"]) == "" for _, get in columns)


XSS = '<script>alert("cf")</script>'


def test_values_and_names_are_escaped_on_the_pages(
    client: Client, api: Any, people: dict[str, Any], tasks: dict[str, Any], fields: dict[str, Any]
) -> None:
    api("manager").post(f"{V1}/projects/APL/custom-fields", {"key": "note", "name": XSS},
                        content_type="application/json")  # fmt: skip
    _patch(api("member"), tasks["code"], {"vendor_ticket": XSS, "note": XSS})
    client.force_login(people["viewer"])
    for url in ("/projects/APL/fields/", f"/projects/APL/tasks/{tasks['code'].pk}/documents/"):
        html = client.get(url).content.decode()
        assert XSS not in html, url
        assert "&lt;script&gt;alert(&quot;cf&quot;)&lt;/script&gt;" in html, url


def test_the_task_page_saves_values_with_htmx_and_shows_errors(
    client: Client, people: dict[str, Any], tasks: dict[str, Any], fields: dict[str, Any]
) -> None:
    client.force_login(people["member"])
    url = f"/projects/APL/tasks/{tasks['code'].pk}/fields/"
    form = {"version": "1", "cf_vendor_ticket": "CASE-9", "cf_site": "Lisbon", "cf_cost": "7",
            "cf_due": "", "cf_contact": "", "cf_onsite": "on"}  # fmt: skip
    response = client.post(url, form, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Saved." in response.content.decode()
    assert TaskCustomValues.objects.get().values == {
        "vendor_ticket": "CASE-9", "site": "Lisbon", "cost": "7", "onsite": True}  # fmt: skip
    bad = client.post(
        url, {**form, "version": "2", "cf_cost": "lots"}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 200  # htmx swaps only 2xx; the partial shows the refusal
    html = bad.content.decode()
    assert "values.cost" in html and 'value="lots"' in html
    assert TaskCustomValues.objects.get().values["cost"] == "7"


def test_the_fields_page_shows_columns_and_lets_managers_define(
    client: Client, people: dict[str, Any], tasks: dict[str, Any], api: Any
) -> None:
    client.force_login(people["manager"])
    response = client.post("/projects/APL/fields/", {"name": "Site", "key": "site",
                                                     "field_type": "choice", "choices": "Berlin, Lisbon"})  # fmt: skip
    assert response.status_code == 302
    field = CustomField.objects.get()
    assert field.choices == ["Berlin", "Lisbon"]
    _patch(api("member"), tasks["code"], {"site": "Lisbon"})
    html = client.get("/projects/APL/fields/").content.decode()
    assert "<th>Site</th>" in html and "<td>Lisbon</td>" in html
    client.post(f"/projects/APL/fields/{field.pk}/", {"version": "1", "action": "delete"})
    assert not CustomField.objects.exists()


def test_a_category_suggests_fields_and_adding_twice_adds_nothing(
    api: Any, project: Any, client: Client, people: dict[str, Any]
) -> None:
    url = f"{V1}/projects/APL/custom-fields/suggestions"
    suggested = api("viewer").get(url).json()  # APL is a software project
    assert [s["key"] for s in suggested] == ["component", "environment", "story_points"]
    assert not any(s["present"] for s in suggested)
    assert api("member").post(url, {}, content_type="application/json").status_code == 403
    one = api("manager").post(url, {"keys": ["environment"]}, content_type="application/json")
    assert one.status_code == 201 and [f["key"] for f in one.json()] == ["environment"]
    assert one.json()[0]["choices"] == ["Development", "Test", "Staging", "Production"]
    bad = api("manager").post(url, {"keys": ["colour"]}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "keys"
    client.force_login(people["manager"])
    assert "Suggested for software" in client.get("/projects/APL/fields/").content.decode()
    response = client.post("/projects/APL/fields/suggested/", follow=True)
    assert "Added: Component, Story points." in response.content.decode()
    assert sorted(CustomField.objects.values_list("key", flat=True)) == [
        "component", "environment", "story_points"]  # fmt: skip
    again = api("manager").post(url, {}, content_type="application/json")
    assert again.status_code == 201 and again.json() == []
    assert CustomField.objects.count() == 3


def test_the_fields_table_edits_a_row_in_place(
    client: Client, people: dict[str, Any], tasks: dict[str, Any], fields: dict[str, Any]
) -> None:
    code = tasks["code"]
    row_url = f"/projects/APL/tasks/{code.pk}/fields/row/"
    client.force_login(people["viewer"])
    assert "<input" not in client.get(row_url).content.decode()  # viewers get text
    client.force_login(people["member"])
    assert (
        f"/projects/APL/tasks/{code.pk}/fields/row/"
        in client.get("/projects/APL/fields/").content.decode()
    )
    form = client.get(row_url).content.decode()
    assert 'name="cf_site"' in form and 'name="row"' in form and 'value="1"' in form
    hx = {"HX-Request": "true"}
    url = f"/projects/APL/tasks/{code.pk}/fields/"
    saved = client.post(url, {"version": "1", "row": "1", "cf_site": "Berlin", "cf_cost": "4"},
                        headers=hx).content.decode()  # fmt: skip
    assert saved.startswith(f'<tr id="cf-row-{code.pk}">') and "<td>Berlin</td>" in saved
    assert "<input" not in saved
    refused = client.post(url, {"version": "2", "row": "1", "cf_site": "Berlin", "cf_cost": "x"},
                          headers=hx).content.decode()  # fmt: skip
    assert 'class="cf-editing"' in refused and "values.cost" in refused and 'value="x"' in refused
    # An unticked yes/no box in a form means "no".
    assert TaskCustomValues.objects.get().values == {"site": "Berlin", "cost": "4", "onsite": False}
