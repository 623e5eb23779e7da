"""Exchange with other tools and partners: hash-list file formats (STIX/TAXII arrive later)."""
