"""The help-desk and inventory demo: two queues on business hours, SLA policies, 40+ tickets
in every state, servers and switches of the HWDC and NET projects, and operated services.

Built through the services (so the history is real); ticket times are spread over the last
three weeks with the services' ``now`` seam.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from itpm.accounts.models import Team, TeamKind, User
from itpm.accounts.services import team_create, user_create
from itpm.assets.models import AssetStatus, AssetType
from itpm.assets.services import asset_create, service_create
from itpm.helpdesk.models import CannedReply, RequesterProfile, Ticket, TicketStatus
from itpm.helpdesk.services import (
    queue_create,
    sla_policy_create,
    sla_sweep,
    ticket_comment_add,
    ticket_create,
    ticket_update,
)
from itpm.planning.models import CalendarException, Task, WorkCalendar
from itpm.portfolio.models import Project

# (queue, type, impact, urgency, category, title, description)
TICKETS = [
    ("DESK", "incident", "high", "high", "Access", "Nobody in Finance can log in to SAP",
     "Since 08:40 every Finance user gets 'password expired' on SAP GUI, even after a reset."),
    ("DESK", "incident", "medium", "high", "Email", "Outlook keeps asking for my password",
     "After the weekend Outlook prompts for credentials every few minutes."),
    ("DESK", "service_request", "low", "medium", "Hardware", "Laptop for new starter (Marketing)",
     "Jana Kovac starts on the 1st; standard laptop, docking station and headset please."),
    ("DESK", "service_request", "low", "low", "Access", "Add me to the Projects-PMO shared drive",
     "I need read/write on \\\\files\\Projects-PMO for the quarterly review."),
    ("DESK", "incident", "medium", "medium", "Printing", "Printer on 3rd floor prints blank pages",
     "HP LaserJet near the kitchen, toner was replaced yesterday."),
    ("DESK", "incident", "low", "medium", "Hardware", "Docking station does not detect monitors",
     "Dell WD19 dock, both screens stay black; laptop screen fine."),
    ("DESK", "service_request", "medium", "medium", "Software", "Install Power BI Desktop",
     "Needed for the sales dashboard training next week."),
    ("DESK", "incident", "high", "medium", "HR system", "Payroll export fails with timeout",
     "The monthly payroll export in the HR system stops at 80 % with a gateway timeout."),
    ("DESK", "incident", "medium", "low", "HR system", "Holiday balance shows last year's value",
     "My leave balance in the HR portal has not rolled over."),
    ("DESK", "service_request", "low", "low", "Access", "VPN access for contractor",
     "External consultant from Brightline needs VPN for 3 months; PO attached."),
    ("DESK", "incident", "medium", "high", "Email", "Shared mailbox not visible in Outlook",
     "hr-recruiting@ mailbox disappeared from the folder list for the whole HR team."),
    ("DESK", "problem", "high", "medium", "Access", "Recurring SSO token expiry after patch day",
     "Several incidents after each patch Tuesday: SSO tokens expire early. Find the root cause."),
    ("DESK", "change", "medium", "low", "Software", "Roll out Chrome 131 to all laptops",
     "Standard change: staged rollout via Intune, pilot group first."),
    ("DESK", "incident", "low", "low", "Hardware", "Broken keyboard key (E)",
     "The E key sticks on my ThinkPad T14."),
    ("DESK", "service_request", "low", "medium", "Hardware", "Second monitor for home office",
     "Approved by my manager; 27 inch if possible."),
    ("DESK", "incident", "medium", "medium", "Software", "Teams crashes when sharing screen",
     "Teams closes itself as soon as I share a window, since yesterday's update."),
    ("DESK", "incident", "high", "high", "HR system", "HR system down for all users",
     "https://hr.example.com answers 502 for everyone since 10:05."),
    ("DESK", "service_request", "low", "low", "Access", "Rename my account after marriage",
     "Please change my display name and e-mail alias to Sara Lind-Moreau."),
    ("DESK", "incident", "low", "medium", "Printing", "Cannot add the plotter in Building B",
     "Driver install fails with error 0x00000bcb."),
    ("DESK", "service_request", "medium", "low", "Software", "Licence for Visio Plan 2",
     "Needed for the network diagrams of the campus refresh."),
    ("DESK", "incident", "medium", "medium", "Email", "Calendar invites arrive twice",
     "Every meeting invitation from outside shows up two times."),
    ("DESK", "incident", "low", "low", "Hardware", "Laptop battery drains in 2 hours",
     "Battery health shows 61 %; warranty until next year."),
    ("DESK", "service_request", "low", "medium", "Access", "Access to the DWH sales schema",
     "Read access to sales_mart for the new analyst."),
    ("DESK", "incident", "medium", "high", "Access", "MFA prompts not arriving on new phone",
     "Moved to a new phone, Authenticator shows no requests."),
    ("NETOPS", "incident", "high", "high", "Wi-Fi", "Wi-Fi down in Building C, 2nd floor",
     "No SSID visible on the whole floor; APs show amber LEDs."),
    ("NETOPS", "incident", "medium", "high", "WAN", "Packet loss to the Frankfurt DC",
     "10-15 % loss on the MPLS link since 07:00; latency spikes to 180 ms."),
    ("NETOPS", "service_request", "low", "medium", "Firewall", "Open port 8443 for the monitoring VM",
     "From 10.20.4.15 to the new Grafana host, TCP 8443, permanent."),
    ("NETOPS", "incident", "medium", "medium", "VPN", "VPN disconnects every 10 minutes",
     "GlobalProtect drops and reconnects, several home workers affected."),
    ("NETOPS", "change", "high", "low", "Switching", "Replace core switch firmware (17.9.4)",
     "Normal change, maintenance window Saturday 22:00-02:00."),
    ("NETOPS", "incident", "low", "low", "Wi-Fi", "Guest Wi-Fi portal shows certificate warning",
     "Visitors see 'connection not private' on the captive portal."),
    ("NETOPS", "service_request", "low", "low", "Switching", "Patch two desks in room 4.12",
     "Desks 4.12-07 and 4.12-08 need active ports in VLAN 120."),
    ("NETOPS", "problem", "medium", "medium", "WAN", "Intermittent MPLS packet loss",
     "Third time this month; correlate with carrier maintenance and BGP flaps."),
    ("NETOPS", "incident", "medium", "high", "DNS", "Internal DNS resolves old file server",
     "files.corp still points to 10.10.1.20 for some clients."),
    ("NETOPS", "service_request", "medium", "medium", "Firewall", "Allow SFTP to payroll provider",
     "Outbound SFTP to 203.0.113.40 for the HR payroll interface."),
    ("NETOPS", "incident", "high", "medium", "Switching", "Access switch in IDF-3 rebooting",
     "sw-idf3-01 reloaded 4 times tonight; PoE phones drop."),
    ("NETOPS", "incident", "low", "medium", "Wi-Fi", "Weak signal in meeting room Oslo",
     "Video calls freeze in the corner of the room."),
    ("NETOPS", "service_request", "low", "low", "VPN", "Site-to-site VPN for new warehouse",
     "Warehouse Leipzig opens next quarter; needs a tunnel to HQ."),
    ("NETOPS", "incident", "medium", "low", "DNS", "Slow name resolution on Linux build agents",
     "Builds spend 5 s per lookup; resolv.conf points to the old resolver."),
    ("DESK", "incident", "medium", "medium", "Software", "Excel add-in for budgets missing",
     "The budget add-in vanished from the ribbon after the Office update."),
    ("DESK", "service_request", "low", "medium", "Hardware", "Replace cracked phone screen",
     "Company iPhone 14, screen cracked, still usable."),
    ("DESK", "incident", "low", "high", "Access", "Locked out after password change",
     "Changed my password this morning, now the account is locked."),
    ("NETOPS", "incident", "medium", "medium", "WAN", "Branch office Munich offline",
     "The router at the Munich branch is unreachable since 06:30; ISP ticket opened."),
    ("DESK", "requester", "low", "medium", "Access", "Access to the supplier portal",
     "Our team needs accounts on the supplier portal for the invoicing pilot."),
    ("DESK", "requester", "medium", "medium", "Hardware", "Meeting room screen not working",
     "The screen in the shared meeting room stays black when we connect a laptop."),
]  # fmt: skip

CANNED = [
    ("Need more information", "Thanks for reaching out. Could you send a screenshot of the "
     "error and the time it happened? We'll continue as soon as we hear back."),
    ("Password reset done", "Your password was reset. You will be asked to choose a new one at "
     "the next login. Let us know if anything else is blocked."),
    ("Hardware ordered", "The hardware is ordered; delivery usually takes 3-5 business days. "
     "We'll contact you to schedule the handover."),
]  # fmt: skip


def _at(base: dt.datetime, hours: float) -> dt.datetime:
    return base + dt.timedelta(hours=hours)


def load_helpdesk_demo(users: dict[str, User], *, password: str = "demo-pass-123") -> None:  # noqa: S107 - the demo's published password
    admin = users["admin"]
    ops = Team.objects.get(name="Operations")
    network = Team.objects.filter(name="Network operations").first() or team_create(
        actor=admin, name="Network operations", kind=TeamKind.OPERATIONS,
        members=[users["ops"], users["kim"]],
    )  # fmt: skip
    requester = User.objects.filter(username="requester").first() or user_create(
        actor=None, username="requester", password=password, first_name="Rosa",
        last_name="Requester", email="requester@example.com", check_password=False,
    )  # fmt: skip
    RequesterProfile.objects.get_or_create(user=requester, defaults={"organization": "Acme Retail"})

    calendar = WorkCalendar.objects.create(
        name="Service desk hours (DE)", working_days=[0, 1, 2, 3, 4],
        working_hours=[["08:00", "12:00"], ["13:00", "18:00"]], country="DE",
        timezone="Europe/Berlin",
    )  # fmt: skip
    CalendarException.objects.create(
        calendar=calendar, date=dt.date(2026, 12, 24), name="Christmas Eve"
    )
    standard = sla_policy_create(actor=admin, name="Standard business hours",
                                 description="Office hours support for staff requests.")  # fmt: skip
    critical = sla_policy_create(
        actor=admin, name="Network critical", reopen_window_days=5, warning_percent=70,
        targets={
            "P1": {"first_response_minutes": 15, "resolution_minutes": 120},
            "P2": {"first_response_minutes": 60, "resolution_minutes": 360},
            "P3": {"first_response_minutes": 240, "resolution_minutes": 1080},
            "P4": {"first_response_minutes": 480, "resolution_minutes": 2700},
        },
    )  # fmt: skip
    desk = queue_create(
        actor=admin, key="DESK", name="Service desk", team=ops, calendar=calendar,
        time_zone="Europe/Berlin", sla_policy=standard,
        description="First line for every staff request and incident.",
        categories=["Access", "Email", "Hardware", "Software", "Printing", "HR system"],
    )  # fmt: skip
    netq = queue_create(
        actor=admin, key="NETOPS", name="Network ops", team=network, calendar=calendar,
        time_zone="Europe/Berlin", sla_policy=critical,
        description="LAN, Wi-Fi, WAN, VPN, DNS and firewall.",
        categories=["Wi-Fi", "WAN", "VPN", "DNS", "Firewall", "Switching"],
    )  # fmt: skip
    for title, body in CANNED:
        CannedReply.objects.create(queue=None, title=title, body=body)

    # Services and assets
    projects = {p.key: p for p in Project.objects.filter(key__in=["HWDC", "NET", "SDESK"])}
    campus = service_create(
        actor=admin, name="Campus network", owner_team=network, support_queue=netq, hours="24x7",
        description="Wired and wireless LAN of the headquarters campus.",
        runbook_links=["https://wiki.example.com/runbooks/campus-network"],
        projects=[projects["NET"]] if "NET" in projects else [],
    )  # fmt: skip
    hr = service_create(
        actor=admin, name="HR system support", owner_team=ops, support_queue=desk,
        hours="Mon–Fri 08:00–18:00", description="Payroll, leave and recruiting in the HR system.",
        runbook_links=["https://wiki.example.com/runbooks/hr-system"],
        projects=[projects["SDESK"]] if "SDESK" in projects else [],
    )  # fmt: skip
    compute = service_create(
        actor=admin, name="Frankfurt compute platform", owner_team=ops, support_queue=desk,
        hours="24x7", description="Virtualization and storage in the Frankfurt cage.",
        runbook_links=["https://wiki.example.com/runbooks/fra-platform"],
        projects=[projects["HWDC"]] if "HWDC" in projects else [],
    )  # fmt: skip
    hwdc, net = projects.get("HWDC"), projects.get("NET")
    install = (
        Task.objects.filter(project=hwdc, name__icontains="install").order_by("wbs_code").first()
        if hwdc else None
    )  # fmt: skip
    statuses = [
        AssetStatus.IN_SERVICE,
        AssetStatus.INSTALLED,
        AssetStatus.RECEIVED,
        AssetStatus.ORDERED,
    ]
    for i in range(1, 13):
        asset_create(
            actor=admin, asset_type=AssetType.SERVER, name=f"Compute node {i:02d}",
            tag=f"FRA-SRV-{i:03d}", serial=f"CZ2{i:04d}XK", model="ProLiant DL380 Gen11",
            vendor="HPE", location=f"FRA1 cage 4, rack A{(i - 1) // 4 + 1}",
            status=statuses[(i - 1) % 4] if i > 8 else AssetStatus.IN_SERVICE,
            owner_team=ops, purchase_order="PO-2026-0412", cost=Decimal("14850.00"),
            currency="EUR", warranty_end=dt.date(2031, 9, 30), project=hwdc, service=compute,
            installed_by_task=install if i <= 8 else None,
        )  # fmt: skip
    for i in range(1, 3):
        asset_create(
            actor=admin, asset_type=AssetType.STORAGE, name=f"Storage array {i}",
            tag=f"FRA-STO-{i:03d}", serial=f"PS{i:05d}", model="PowerStore 1200T", vendor="Dell",
            location="FRA1 cage 4, rack B1", status=AssetStatus.INSTALLED, owner_team=ops,
            purchase_order="PO-2026-0413", cost=Decimal("98400.00"), currency="EUR",
            warranty_end=dt.date(2031, 9, 30), project=hwdc, service=compute,
        )  # fmt: skip
    for i, (kind, model, vendor, cost) in enumerate([
        (AssetType.SWITCH, "Catalyst 9500-48Y4C", "Cisco", "18450.00"),
        (AssetType.SWITCH, "Catalyst 9500-48Y4C", "Cisco", "18450.00"),
        (AssetType.SWITCH, "Catalyst 9300-48P", "Cisco", "7200.00"),
        (AssetType.SWITCH, "Catalyst 9300-48P", "Cisco", "7200.00"),
        (AssetType.SWITCH, "Catalyst 9300-48P", "Cisco", "7200.00"),
        (AssetType.ROUTER, "ISR 4451", "Cisco", "9800.00"),
        (AssetType.FIREWALL, "PA-3410", "Palo Alto Networks", "24500.00"),
        (AssetType.LICENCE, "DNA Advantage 5y", "Cisco", "32000.00"),
    ], start=1):  # fmt: skip
        asset_create(
            actor=admin, asset_type=kind, name=f"{model} #{i}", tag=f"NET-{kind[:3].upper()}-{i:03d}",
            serial=f"FOC{2231 + i}X0{i}B" if kind != AssetType.LICENCE else "",
            model=model, vendor=vendor, location="HQ core room" if i < 3 else f"IDF-{i - 2}",
            status=AssetStatus.IN_SERVICE if i < 5 else AssetStatus.RECEIVED, owner_team=network,
            purchase_order="PO-2026-0388", cost=Decimal(cost), currency="EUR",
            warranty_end=dt.date(2030, 12, 31), project=net, service=campus,
        )  # fmt: skip
    asset_create(actor=admin, asset_type=AssetType.CLOUD, name="HR system database (managed)",
                 tag="CLD-DB-001", vendor="AWS", model="RDS PostgreSQL db.m6g.large",
                 location="eu-central-1", status=AssetStatus.IN_SERVICE, owner_team=ops,
                 service=hr)  # fmt: skip

    # Tickets over the last three weeks, in every state.
    rng = random.Random(8)  # noqa: S311 - demo data, not security
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    staff = [users[u] for u in ("dana", "lee", "pat", "viewer", "cio", "pm")]
    agents = {"DESK": [users["ops"], users["sam"]], "NETOPS": [users["ops"], users["kim"]]}
    queues = {"DESK": desk, "NETOPS": netq}
    services = {"DESK": hr, "NETOPS": campus}
    outcomes = [
        "new", "open", "resolved", "closed", "pending_requester", "open", "closed",
        "pending_vendor", "resolved", "closed", "open", "new",
    ]  # fmt: skip
    problems: dict[str, Ticket] = {}
    for n, (qkey, ticket_kind, impact, urgency, category, title, text) in enumerate(TICKETS):
        queue = queues[qkey]
        by_requester = ticket_kind == "requester"
        created = (
            now - dt.timedelta(hours=rng.randint(2, 21 * 24))
            if n > 3
            else now - dt.timedelta(hours=n + 1)
        )
        who = requester if by_requester else staff[n % len(staff)]
        ticket = ticket_create(
            actor=who, queue=queue, title=title, description=text,
            ticket_type="service_request" if by_requester else ticket_kind, impact=impact,
            urgency=urgency, category=category, now=created,
            service=services[qkey] if category in ("HR system", "Wi-Fi", "Switching") else None,
            source="portal" if by_requester or n % 3 == 0 else "agent",
        )  # fmt: skip
        if ticket_kind == "problem":
            problems[qkey] = ticket
        outcome = outcomes[n % len(outcomes)]
        if by_requester:
            outcome = "pending_requester" if "supplier" in title else "open"
        if outcome == "new":
            continue
        agent = agents[qkey][n % 2]
        t = _at(created, rng.uniform(0.2, 3))
        ticket = ticket_update(
            actor=agent, ticket=ticket, version=None, data={"assignee": agent}, now=t
        )
        ticket_comment_add(actor=agent, ticket=ticket, public=True, now=_at(t, 0.1),
                           body="Thanks, we are on it. " + ("Checking the logs now." if ticket_kind == "incident" else "We'll confirm the details shortly."))  # fmt: skip
        ticket_comment_add(actor=agent, ticket=ticket, public=False, now=_at(t, 0.2),
                           body="Internal: related to the change window last night? Checking CAB log.")  # fmt: skip
        if qkey in problems and ticket_kind == "incident" and n % 4 == 1:
            ticket = ticket_update(actor=agent, ticket=ticket, version=None,
                                   data={"problem": problems[qkey]}, now=_at(t, 0.3))  # fmt: skip
        if outcome in ("pending_requester", "pending_vendor"):
            if outcome == "pending_requester":
                ticket_comment_add(actor=agent, ticket=ticket, public=True, now=_at(t, 0.5),
                                   body="Could you send a screenshot of the error message?")  # fmt: skip
            ticket_update(actor=agent, ticket=ticket, version=None, data={"status": outcome},
                          now=_at(t, 0.6))  # fmt: skip
        elif outcome in ("resolved", "closed"):
            done = _at(t, rng.uniform(1, 40))
            if done > now:
                done = _at(now, -1)
            ticket = ticket_update(
                actor=agent, ticket=ticket, version=None, now=done,
                data={"status": "resolved", "resolution": "Fixed; see the reply for details."},
            )  # fmt: skip
            ticket_comment_add(actor=agent, ticket=ticket, public=True, now=_at(done, 0.01),
                               body="This should be fixed now. Reply here if it comes back.")  # fmt: skip
            if outcome == "closed":
                ticket_update(actor=agent, ticket=ticket, version=None,
                              data={"status": TicketStatus.CLOSED}, now=_at(done, 0.02))  # fmt: skip
    sla_sweep(now=now)
