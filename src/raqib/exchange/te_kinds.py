"""The exchanges python-threatexchange ships, as Raqib knows them: their kinds, what
`--collab` means for each, how their credentials are found, and their collaboration configs.

Credentials come from `--credentials FILE`, else the exchange's environment variable, else the
file python-threatexchange itself reads (e.g. ~/.txtoken); Raqib never stores them. Fetching is
raqib.exchange.te_source.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from threatexchange.exchanges.auth import (
    CredentialHelper,
    SignalExchangeAPIInvalidAuthException,
    SignalExchangeAPIMissingAuthException,
    SignalExchangeWithAuth,
)
from threatexchange.exchanges.clients.ncmec.hash_api import NCMECEnvironment
from threatexchange.exchanges.collab_config import (
    CollaborationConfigBase,
    CollaborationConfigWithDefaults,
)
from threatexchange.exchanges.impl.fb_threatexchange_api import (
    FBThreatExchangeCollabConfig,
    FBThreatExchangeSignalExchangeAPI,
)
from threatexchange.exchanges.impl.file_api import (
    FileCollaborationConfig,
    LocalFileSignalExchangeAPI,
)
from threatexchange.exchanges.impl.ncmec_api import NCMECCollabConfig, NCMECSignalExchangeAPI
from threatexchange.exchanges.impl.stop_ncii_api import StopNCIISignalExchangeAPI
from threatexchange.exchanges.impl.techagainstterrorism_api import TATSignalExchangeAPI
from threatexchange.exchanges.signal_exchange_api import AnySignalExchangeAPI

from raqib.errors import InputError, NotFoundError

FILE_MAX_BYTES = 1 << 30  # the local file exchange reads its file whole


@dataclass(frozen=True)
class ExchangeKind:
    """One exchange Raqib can fetch from: its python-threatexchange API class, what `--collab`
    means for it and the form its credentials take ("" when it needs none)."""

    name: str
    api: type[AnySignalExchangeAPI]
    description: str
    collab_help: str
    credential_form: str = ""

    @property
    def credential_cls(self) -> type[CredentialHelper] | None:
        if issubclass(self.api, SignalExchangeWithAuth):
            found: type[CredentialHelper] = self.api.get_credential_cls()
            return found
        return None


EXCHANGES: dict[str, ExchangeKind] = {
    kind.name: kind
    for kind in (
        ExchangeKind(
            "file",
            LocalFileSignalExchangeAPI,
            "a local file of '<signal_type> <signal>' lines (python-threatexchange's file API)",
            "a name for the list (default: the file's name)",
        ),
        ExchangeKind(
            "tat",
            TATSignalExchangeAPI,
            "Tech Against Terrorism's hash list (terrorismanalytics.org)",
            "a name for the collaboration (default: tat)",
            "username:password",
        ),
        ExchangeKind(
            "ncmec",
            NCMECSignalExchangeAPI,
            "NCMEC's hash sharing API",
            "the NCMEC environment, e.g. Industry, NGO, test_Industry (default: Industry)",
            "username:password",
        ),
        ExchangeKind(
            "stopncii",
            StopNCIISignalExchangeAPI,
            "StopNCII.org's hash API",
            "a name for the collaboration (default: stopncii)",
            "fetch_function_key,subscription_key[,base_url]",
        ),
        ExchangeKind(
            "threatexchange",
            FBThreatExchangeSignalExchangeAPI,
            "Meta's ThreatExchange (Graph API), one privacy group",
            "the ThreatPrivacyGroup id (required)",
            "an app access token, app_id|secret",
        ),
    )
}


def exchange_kind(name: str) -> ExchangeKind:
    key = name.strip().lower()
    for kind in EXCHANGES.values():
        if key in (kind.name, kind.api.get_name()):
            return kind
    raise NotFoundError(f"unknown exchange {name!r} (known: {', '.join(EXCHANGES)})")


# --- credentials ------------------------------------------------------------------------------


def credential_source(kind: ExchangeKind, environ: Mapping[str, str] | None = None) -> str:
    """Where the exchange's credentials would come from today: "not needed", "environment
    VAR", "file PATH", or "" when nothing is configured."""
    helper = kind.credential_cls
    if helper is None:
        return "not needed"
    env = os.environ if environ is None else environ
    if helper.ENV_VARIABLE and env.get(helper.ENV_VARIABLE):
        return f"environment {helper.ENV_VARIABLE}"
    if helper.FILE_NAME and Path(helper.FILE_NAME).expanduser().is_file():
        return f"file {helper.FILE_NAME}"
    return ""


def load_credentials(
    kind: ExchangeKind, path: Path | None = None, environ: Mapping[str, str] | None = None
) -> CredentialHelper | None:
    """The exchange's credentials from `path`, else its environment variable, else its usual
    file; raises InputError naming what is missing or wrong and how to give it."""
    helper = kind.credential_cls
    if helper is None:
        return None
    env = os.environ if environ is None else environ
    sources: list[tuple[str, Callable[[], str | None]]] = []
    if path is not None:
        sources.append((f"credentials file {path}", lambda: _read_secret(path)))
    if helper.ENV_VARIABLE:
        sources.append((f"environment variable {helper.ENV_VARIABLE}", lambda: _env(helper, env)))
    if helper.FILE_NAME:
        default = Path(helper.FILE_NAME).expanduser()
        sources.append((f"file {helper.FILE_NAME}", lambda: _read_secret(default, True)))
    for where, read in sources:
        text = read()
        if text:
            return _parse_credentials(kind, helper, text, where)
    raise InputError(_missing_message(kind, helper))


def _env(helper: type[CredentialHelper], env: Mapping[str, str]) -> str | None:
    return env.get(helper.ENV_VARIABLE) or None


def _read_secret(path: Path, optional: bool = False) -> str | None:
    if optional and not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read credentials file {path} ({exc})") from None


def _parse_credentials(
    kind: ExchangeKind, helper: type[CredentialHelper], text: str, where: str
) -> CredentialHelper:
    # `_from_str` is how python-threatexchange itself parses the environment variable and file;
    # calling it directly lets a file the user names be parsed the same way.
    try:
        parsed = helper._from_str(text)
    except ValueError:
        parsed = None
    if parsed is None or not parsed._are_valid():
        raise InputError(
            f"the {kind.name} credentials in {where} are not valid: want {kind.credential_form}"
        )
    return parsed


def _missing_message(kind: ExchangeKind, helper: type[CredentialHelper]) -> str:
    ways = [f"pass --credentials FILE (a file holding {kind.credential_form})"]
    if helper.ENV_VARIABLE:
        ways.append(f"set {helper.ENV_VARIABLE}='{kind.credential_form}'")
    if helper.FILE_NAME:
        ways.append(f"write it to {helper.FILE_NAME}")
    return f"{kind.name} needs credentials ({kind.credential_form}): " + ", or ".join(ways)


# --- collaborations ---------------------------------------------------------------------------


def collab_config(
    kind: ExchangeKind, collab: str | None, file: Path | None
) -> CollaborationConfigBase:
    """The python-threatexchange collaboration config for a kind and `--collab`/`--file`."""
    api = kind.api.get_name()
    if kind.name == "file":
        if file is None:
            raise InputError("the file exchange needs --file PATH (lines of '<type> <signal>')")
        _check_file(file)
        name = collab or file.stem
        return FileCollaborationConfig(name=name, filename=str(file.resolve()), api=api)
    if kind.name == "ncmec":
        environment = _ncmec_environment(collab or "Industry")
        return NCMECCollabConfig(name=environment.name, environment=environment)
    if kind.name == "threatexchange":
        if not collab or not collab.strip().isdigit():
            raise InputError("threatexchange needs --collab PRIVACY_GROUP_ID (a number)")
        return FBThreatExchangeCollabConfig(name=collab.strip(), privacy_group=int(collab))
    return CollaborationConfigWithDefaults(name=collab or kind.name, api=api)


def _check_file(file: Path) -> None:
    if not file.is_file():
        raise InputError(f"{file}: no such file (give --file a list of '<type> <signal>' lines)")
    size = file.stat().st_size
    if size > FILE_MAX_BYTES:
        raise InputError(
            f"{file}: {size} bytes is over the 1 GiB the file exchange reads at once; "
            "use `raqib bank import` for larger lists"
        )


def _ncmec_environment(name: str) -> NCMECEnvironment:
    for environment in NCMECEnvironment:
        if name.strip().lower() in (environment.name.lower(), environment.value.lower()):
            return environment
    known = ", ".join(e.name for e in NCMECEnvironment)
    raise InputError(f"unknown NCMEC environment {name!r} for --collab (known: {known})")


@dataclass(frozen=True)
class ExchangeInfo:
    """A line of `raqib exchange list`."""

    name: str
    description: str
    collab: str
    credentials: str  # the expected form, "" when none are needed
    configured: str  # where credentials come from today ("" = nowhere)
    environment: str = ""
    file: str = ""
    aliases: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def exchange_infos(environ: Mapping[str, str] | None = None) -> list[ExchangeInfo]:
    """Every exchange kind and whether its credentials are configured."""
    infos: list[ExchangeInfo] = []
    for kind in EXCHANGES.values():
        helper = kind.credential_cls
        infos.append(
            ExchangeInfo(
                kind.name,
                kind.description,
                kind.collab_help,
                kind.credential_form,
                credential_source(kind, environ),
                helper.ENV_VARIABLE if helper else "",
                helper.FILE_NAME if helper else "",
                (kind.api.get_name(),),
            )
        )
    return infos


def connect(
    kind: ExchangeKind, collab: CollaborationConfigBase, credentials: Path | None
) -> AnySignalExchangeAPI:
    """A working instance of the kind's exchange API for a collaboration, authenticated with
    the credentials found (see load_credentials)."""
    try:
        if kind.credential_cls is None:
            return kind.api.for_collab(collab)
        found = load_credentials(kind, credentials)
        for_collab: Any = kind.api.for_collab  # with auth, for_collab takes credentials too
        built: AnySignalExchangeAPI = for_collab(collab, found)
        return built
    except SignalExchangeAPIMissingAuthException as exc:
        raise InputError(exc.pretty_str().replace("\n", " ")) from None
    except SignalExchangeAPIInvalidAuthException as exc:
        raise InputError(f"{kind.name}: {exc.message}") from None
