"""Safe decoding of untrusted bytes into typed content."""

from raqib.content.kinds import Content, ContentKind

__all__ = ["Content", "ContentKind"]
