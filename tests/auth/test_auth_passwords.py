"""Password hashing: argon2id round trip, refusals that never raise, rehash detection."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from raqib.auth import passwords
from raqib.errors import InputError

GOOD = "correct horse battery"


def test_hash_verifies_only_the_right_password() -> None:
    stored = passwords.hash_password(GOOD)
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert passwords.verify_password(stored, GOOD)
    assert not passwords.verify_password(stored, GOOD + "!")
    assert not passwords.needs_rehash(stored)


def test_same_password_gets_a_fresh_salt() -> None:
    assert passwords.hash_password(GOOD) != passwords.hash_password(GOOD)


@pytest.mark.parametrize("password", ["", "short", "x" * 11, "y" * 1025])
def test_unusable_passwords_are_refused(password: str) -> None:
    with pytest.raises(InputError, match="password"):
        passwords.hash_password(password)


@pytest.mark.parametrize("stored", ["", "not a hash", "$argon2id$v=19$m=1$broken"])
def test_bad_hashes_verify_false_without_raising(stored: str) -> None:
    assert passwords.verify_password(stored, GOOD) is False
    assert passwords.needs_rehash(stored)


def test_bad_password_input_verifies_false() -> None:
    stored = passwords.hash_password(GOOD)
    assert passwords.verify_password(stored, None) is False  # type: ignore[arg-type]
    assert passwords.verify_password(stored, "z" * 5000) is False


def test_weaker_parameters_need_rehash() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(GOOD)
    assert passwords.verify_password(old, GOOD)
    assert passwords.needs_rehash(old)
