"""What an LTI launch leaves in the user's session: the origins of the LMSs that may frame our pages (see
lti.middleware), the context launched from, and the deep-linking launch being answered."""

from __future__ import annotations

SESSION_KEY = "lti"


def remember_launch(session, *, origin: str, context_id: int | None, deep_link_launch: str = "") -> None:
    data = session.get(SESSION_KEY) or {}
    origins = [o for o in data.get("origins", []) if o != origin]
    data["origins"] = [origin, *origins][:5]
    data["context"] = context_id
    data["deep_link"] = deep_link_launch
    session[SESSION_KEY] = data


def frame_origins(session) -> list[str]:
    data = session.get(SESSION_KEY) or {}
    return list(data.get("origins", []))


def deep_link_launch(session) -> str:
    return (session.get(SESSION_KEY) or {}).get("deep_link", "")


def is_lti_session(session) -> bool:
    return bool(session.get(SESSION_KEY))
