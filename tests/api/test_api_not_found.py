"""An unknown API address answers the API's JSON error, not an HTML page."""

from __future__ import annotations


def test_unknown_api_address_is_a_json_404(api, project):
    response = api("member").get("/api/v1/projects/APL/status-reports/null,null")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "not found", "errors": []}


def test_unknown_page_is_the_html_404(client, people):
    client.force_login(people["member"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_huge_offset_is_a_422_naming_offset(api, project):
    response = api("member").get("/api/v1/projects?offset=100000000000000000000")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "offset"
