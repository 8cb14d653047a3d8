"""Demo data of the documents app: on NET (campus network refresh), two task fields
("Vendor ticket", "Site") with values on the access-layer and core tasks, and a few
documents: a topology PDF, a closet photo (PNG) and a cut-over runbook with two versions."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from itpm.accounts.models import User
from itpm.documents import services
from itpm.documents.samples import pdf_bytes, png_bytes
from itpm.planning.models import Task
from itpm.portfolio.models import Project

SITES = ["Building A", "Building B", "Building C", "Data centre"]


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def load_documents_demo(users: dict[str, User]) -> None:
    project = Project.objects.filter(key="NET").first()
    if project is None:
        return
    manager = users["sam"] if "sam" in users else users["pm"]
    actor = users["pm"]
    services.custom_field_create(actor=actor, project=project, key="vendor_ticket",
                                 name="Vendor ticket", position=1)  # fmt: skip
    services.custom_field_create(actor=actor, project=project, key="site", name="Site",
                                 field_type="choice", choices=SITES, position=2)  # fmt: skip
    tasks = list(Task.objects.filter(project=project, children__isnull=True).order_by("wbs_sort"))
    for n, task in enumerate(tasks):
        parent = task.parent.name if task.parent else ""
        values: dict[str, str] = {}
        if parent in SITES:
            values["site"] = parent
        elif task.name.startswith(("Core", "Stage core")):
            values["site"] = "Data centre"
        if task.name in ("Night swap of closet switches", "Core cut-over window"):
            values["vendor_ticket"] = f"CSCO-{771204 + n}"
        if values:
            services.task_custom_values_set(actor=actor, task=task, values=values, version=None)
    by_name = {t.name: t for t in tasks}
    topology = by_name.get("Target topology")
    services.document_upload(
        actor=actor, project=project, task=topology, subject="Design",
        upload=_file("target-topology.pdf", pdf_bytes(
            "Campus network refresh - target topology", "Core: 2 x C9500 in the data centre",
            "Access: 40 x C9300 across buildings A, B and C")),
    )  # fmt: skip
    closet = next((t for t in tasks if t.name == "Night swap of closet switches"), None)
    services.document_upload(
        actor=manager, project=project, task=closet, subject="Building A closet 2",
        upload=_file("closet-a2-before.png", png_bytes(64, 40, (96, 112, 140))),
    )  # fmt: skip
    runbook = services.document_upload(
        actor=actor, project=project, task=by_name.get("Core cut-over window"),
        subject="Change CHG-2291",
        upload=_file("core-cutover-runbook.txt",
                     b"Core cut-over runbook\n1. Freeze changes\n2. Move uplinks\n"),
    )  # fmt: skip
    services.document_add_version(
        actor=manager, document=runbook, version=runbook.version,
        upload=_file("core-cutover-runbook.txt",
                     b"Core cut-over runbook v2\n1. Freeze changes\n2. Pre-check HSRP\n"
                     b"3. Move uplinks\n4. Roll back if any floor loses its uplink\n"),
    )  # fmt: skip
    services.document_upload(
        actor=actor, project=project, subject="Vendor quote",
        upload=_file("switch-quote.csv", b"item,qty,unit_price\nC9300-48P,40,4200.00\n"
                                         b"C9500-24Y4C,2,21500.00\n"),
    )  # fmt: skip
