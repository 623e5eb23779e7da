"""Arabic-first text analysis: normalisation and de-obfuscation, language ID, indicators,
crypto-asset addresses, list importers and the assessment of one text."""
