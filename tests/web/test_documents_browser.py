"""Documents and custom fields in a real browser: htmx upload on the Documents tab (the
list is swapped in, nothing reloads), a hostile label stays text, and a task's fields save
and refuse a bad value in place."""

from __future__ import annotations

from typing import Any

import pytest

from itpm.documents import services
from itpm.documents.models import Document, TaskCustomValues
from itpm.documents.samples import png_bytes
from tests.web.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_htmx_upload_lists_the_file_and_keeps_labels_as_text(
    page: Any, people: dict[str, Any], tasks: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    page.set_default_timeout(30_000)
    log_in(page, "mia")
    page.goto("/projects/APL/documents/")
    page.evaluate("window.__notReloaded = true")
    page.set_input_files("#upload-form input[name=file]", files=[
        {"name": "rack.png", "mimeType": "image/png", "buffer": png_bytes(8, 8)}])  # fmt: skip
    page.select_option("#upload-form select[name=task]", str(tasks["code"].pk))
    page.fill("#upload-form input[name=subject]", '<img src=x onerror="window.__xss=1">')
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#documents >> text=rack.png")
    assert page.evaluate("window.__notReloaded") is True  # swapped in by htmx
    assert page.evaluate("window.__xss") is None
    assert (
        page.locator("#documents").inner_text().count('<img src=x onerror="window.__xss=1">') == 1
    )
    document = Document.objects.get()
    assert document.task_id == tasks["code"].pk and document.name == "rack.png"
    # The download link answers the file as an attachment.
    with page.expect_download() as download:
        page.click("#documents a:text('rack.png')")
    assert download.value.suggested_filename == "rack.png"


def test_a_task_page_saves_fields_and_shows_a_refused_value(
    page: Any, people: dict[str, Any], tasks: dict[str, Any]
) -> None:
    owner = people["owner"]
    project = tasks["code"].project
    services.custom_field_create(actor=owner, project=project, key="site", name="Site",
                                 field_type="choice", choices=["Berlin", "Lisbon"])  # fmt: skip
    services.custom_field_create(actor=owner, project=project, key="cost", name="Cost",
                                 field_type="number")  # fmt: skip
    page.set_default_timeout(30_000)
    log_in(page, "mia")
    page.goto(f"/projects/APL/tasks/{tasks['code'].pk}/documents/")
    page.select_option("select[name=cf_site]", "Lisbon")
    page.fill("input[name=cf_cost]", "12.50")
    page.click("#task-fields button[type=submit]")
    page.wait_for_selector("#task-fields >> text=Saved.")
    assert TaskCustomValues.objects.get().values == {"site": "Lisbon", "cost": "12.5"}
    page.fill("input[name=cf_cost]", "a lot")
    page.click("#task-fields button[type=submit]")
    page.wait_for_selector("#task-fields >> text=values.cost")
    assert page.input_value("input[name=cf_cost]") == "a lot"
    assert TaskCustomValues.objects.get().values["cost"] == "12.5"


def test_the_fields_table_edits_a_row_inline(page: Any, people: dict[str, Any], tasks: Any) -> None:
    owner = people["owner"]
    project = tasks["code"].project
    services.custom_field_create(actor=owner, project=project, key="site", name="Site",
                                 field_type="choice", choices=["Berlin", "Lisbon"])  # fmt: skip
    page.set_default_timeout(30_000)
    log_in(page, "mia")
    page.goto("/projects/APL/fields/")
    row = f"#cf-row-{tasks['code'].pk}"
    page.click(f"{row} button.icon")
    page.select_option(f"{row} select[name=cf_site]", "Berlin")
    page.click(f"{row} button:text('Save')")
    page.wait_for_selector(f"{row} td:text('Berlin')")
    assert page.locator(f"{row} select").count() == 0
    assert TaskCustomValues.objects.get(task=tasks["code"]).values == {"site": "Berlin"}


def test_the_xss_corpus_in_custom_values_and_choices_never_runs(
    page: Any, people: dict[str, Any], tasks: Any, settings: Any, tmp_path: Any
) -> None:
    """Custom values are JSON (the corpus fixture poisons text columns only): put every
    payload into values, choices, field and document names, then look at every page."""
    from tests.security.xss import PAYLOADS, SHORT

    settings.MEDIA_ROOT = tmp_path
    owner = people["owner"]
    project = tasks["code"].project
    services.custom_field_create(actor=owner, project=project, key="note", name=SHORT[0],
                                 field_type="text")  # fmt: skip
    choices = list(dict.fromkeys(p.strip()[:80] for p in SHORT))
    services.custom_field_create(actor=owner, project=project, key="pick", name=SHORT[1],
                                 field_type="choice", choices=choices)  # fmt: skip
    leaves = [tasks["design"], tasks["code"], tasks["launch"]]
    for n, payload in enumerate(PAYLOADS):
        task = leaves[n % len(leaves)]
        version = TaskCustomValues.objects.filter(task=task).values_list("version", flat=True)
        services.task_custom_values_set(
            actor=owner, task=task, version=version.first(),
            values={"note": payload, "pick": choices[n % len(choices)]},
        )  # fmt: skip
    services.document_upload(actor=owner, project=project, task=tasks["code"], subject=PAYLOADS[0],
                             upload=_named(SHORT[2] + ".txt", b"XSS"))  # fmt: skip
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_default_timeout(30_000)
    log_in(page, "olivia")
    urls = ["/projects/APL/fields/", "/projects/APL/documents/"]
    urls += [f"/projects/APL/tasks/{t.pk}/documents/" for t in leaves]
    # The CSP would stop most payloads anyway, so also look for markup that got through.
    dangerous = "main [onerror], main [onload], main [onfocus], main [ontoggle], main iframe, "
    dangerous += "main object, main script, main svg, main [hx-on\\:load]"
    for url in urls:
        page.goto(url)
        assert "XSS" in page.content(), url
        assert page.evaluate("window.__xss") is None, url
        assert page.locator(dangerous).count() == 0, url
    page.goto("/projects/APL/fields/")
    assert PAYLOADS[0] in page.locator("main").inner_text()  # shown as text, not markup
    page.goto("/projects/APL/fields/")
    page.click(f"#cf-row-{tasks['code'].pk} button.icon")  # the row form with payload values
    page.wait_for_selector("tr.cf-editing")
    assert page.evaluate("window.__xss") is None
    assert dialogs == []


def _named(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/plain")
