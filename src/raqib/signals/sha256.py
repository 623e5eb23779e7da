"""`sha256`: exact SHA-256 digest of any file."""

from raqib.signals.filehash import DigestSignalType


class Sha256SignalType(DigestSignalType):
    name = "sha256"
    aliases = ("video_sha256",)
    hex_length = 64
