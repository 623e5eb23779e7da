"""The `raqib` command line: each command parses, calls the library, prints."""
