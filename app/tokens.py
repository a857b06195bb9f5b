"""Secrets people carry in links and cookies: facilitator links, device tokens, join codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# No 0/O, 1/I/L, 5/S, 2/Z: a code read off a projector or typed on a phone survives.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
JOIN_CODE_LENGTH = 8  # 27^8 ≈ 2.8e11 codes: not guessable by trying, still typeable


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are stored only as hashes; they are long and random, so no salt is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(value: str) -> str:
    """Accept what people type: lower case, spaces or a dash between the two halves."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def format_join_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def looks_like_join_code(value: str) -> bool:
    return len(value) == JOIN_CODE_LENGTH and all(ch in JOIN_ALPHABET for ch in value)
