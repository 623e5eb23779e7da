"""Password hashing for console users: argon2id with argon2-cffi's default parameters.

The defaults follow RFC 9106's recommendation and change with the library; `needs_rehash` says
when a stored hash was made with older parameters, so a sign-in can upgrade it.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from raqib.errors import InputError

MIN_PASSWORD_LENGTH = 12
# argon2 accepts any length; a cap keeps a huge request body from costing a long hash.
MAX_PASSWORD_LENGTH = 1024

_HASHER = PasswordHasher()


def check_password(password: str) -> str:
    """The password, or an InputError saying why it cannot be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string, salt included) of an acceptable password."""
    return _HASHER.hash(check_password(password))


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`. False, never an exception, for a mismatch,
    an empty or malformed hash, or a password that is not a string of an acceptable length."""
    if not isinstance(password, str) or not isinstance(password_hash, str):
        return False
    if not password_hash or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError, ValueError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a (valid) hash was made with other parameters than today's defaults."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True
