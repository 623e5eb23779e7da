"""Importers that turn published sanctions lists into indicators: the UN Security Council
Consolidated List (XML) and the US Treasury OFAC SDN list (CSV or XML). Each reads the whole
file before returning and raises ImportFormatError naming the line on malformed input."""

from raqib.text.importers.ofac import TERRORISM_PROGRAMS, read_ofac_sdn_csv, read_ofac_sdn_xml
from raqib.text.importers.un_list import read_un_list

__all__ = ["TERRORISM_PROGRAMS", "read_ofac_sdn_csv", "read_ofac_sdn_xml", "read_un_list"]
