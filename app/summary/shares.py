"""Read-only share links to a workshop's summary: created and revoked by the facilitator."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import ShareLink, Workshop
from app.tokens import hash_token, new_token

MAX_SHARES = 20  # plenty for a programme's board; a runaway script cannot fill the table


@dataclass(frozen=True)
class NewShare:
    link: ShareLink
    token: str  # shown once: only its hash is stored


def create_share(session: Session, workshop: Workshop) -> NewShare | None:
    if len(shares_of(session, workshop)) >= MAX_SHARES:
        return None
    token = new_token()
    link = ShareLink(workshop_id=workshop.id, token_hash=hash_token(token))
    session.add(link)
    session.commit()
    session.refresh(link)
    return NewShare(link, token)


def shares_of(session: Session, workshop: Workshop) -> list[ShareLink]:
    query = (
        select(ShareLink)
        .where(ShareLink.workshop_id == workshop.id)
        .order_by(col(ShareLink.created_at))
    )
    return list(session.exec(query))


def revoke_share(session: Session, workshop: Workshop, share_id: int) -> bool:
    link = session.get(ShareLink, share_id)
    if link is None or link.workshop_id != workshop.id:
        return False
    session.delete(link)
    session.commit()
    return True


def workshop_for_share(session: Session, token: str) -> Workshop | None:
    if not token or len(token) > 100:
        return None
    link = session.exec(select(ShareLink).where(ShareLink.token_hash == hash_token(token))).first()
    return session.get(Workshop, link.workshop_id) if link else None
