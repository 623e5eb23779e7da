import raqib

PINNED = [
    "BankInfo", "BankRepository", "Content", "ContentKind", "Database", "EntryRecord", "Hashed",
    "InputError", "Labels", "Match", "Matcher", "NewEntry", "NoSignal", "NotFoundError",
    "RaqibError", "Settings", "Signal", "SignalRegistry", "SignalType", "__version__",
    "build_finding", "default_registry", "hash_file",
]  # fmt: skip


def test_public_api_is_pinned_and_every_name_resolves() -> None:
    assert sorted(raqib.__all__) == sorted(PINNED)
    for name in raqib.__all__:
        assert getattr(raqib, name) is not None


def test_schema_head_constant_equals_alembic_head() -> None:
    from raqib.store.migrate import SCHEMA_HEAD, head_revision

    assert head_revision() == SCHEMA_HEAD
