"""The REST API at /api/v1: every domain app's router, one auth, one error format."""

from __future__ import annotations

from ninja import NinjaAPI

from itpm.accounts.api import router as accounts_router
from itpm.assets.api import router as assets_router
from itpm.collab.api import router as collab_router
from itpm.control.api import router as control_router
from itpm.core.api import install_error_handlers, session_or_token
from itpm.documents.api import router as documents_router
from itpm.helpdesk.api import portal_router
from itpm.helpdesk.api import router as helpdesk_router
from itpm.interop.api import router as interop_router
from itpm.interop.mspdi_api import router as mspdi_router
from itpm.notifications.api import router as notifications_router
from itpm.planning.api import router as planning_router
from itpm.planning.cycle_api import router as cycle_router
from itpm.planning.gantt_api import router as schedule_router
from itpm.planning.resource_api import router as resource_router
from itpm.portfolio.api import router as portfolio_router
from itpm.portfolio.lifecycle_api import router as lifecycle_router
from itpm.tracking.api import router as tracking_router
from itpm.webhooks.api import router as webhooks_router

api = NinjaAPI(
    title="itpm API",
    version="1",
    description=(
        "IT project management: projects, WBS, dependencies and more. Authenticate with "
        "`POST /api/v1/auth/token` and send `Authorization: Bearer <token>`; browser sessions "
        "work too (with the CSRF token). Every object carries `version`; send it back on "
        "PATCH (or `If-Match`) and a stale one gets 409. Errors are "
        '`{"detail": ..., "errors": [{"field": ..., "message": ...}]}`.'
    ),
    auth=session_or_token(),
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", accounts_router)
# Before the portfolio router: POST /projects/import/mspdi is no project key.
api.add_router("/", mspdi_router)
# Before the portfolio router: POST /projects/import must not be read as /projects/{key}.
api.add_router("/", interop_router)
api.add_router("/", portfolio_router)
api.add_router("/", lifecycle_router)
api.add_router("/", planning_router)
api.add_router("/", helpdesk_router)
api.add_router("/", portal_router)
api.add_router("/", assets_router)
api.add_router("/", schedule_router)
api.add_router("/", resource_router)
api.add_router("/", cycle_router)
api.add_router("/", control_router)
api.add_router("/", tracking_router)
api.add_router("/", notifications_router)
api.add_router("/", collab_router)
api.add_router("/", webhooks_router)
api.add_router("/", documents_router)
