"""`md5`: exact MD5 digest of any file (python-threatexchange calls it `video_md5`)."""

from raqib.signals.filehash import DigestSignalType


class Md5SignalType(DigestSignalType):
    name = "md5"
    aliases = ("video_md5", "photo_md5")
    hex_length = 32
