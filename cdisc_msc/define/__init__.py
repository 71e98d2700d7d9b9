"""Define-XML 2.1: generation (``xml``), schema validation (``schema``),
define-data consistency (``consistency``) and regeneration from written XPT
files (``regenerate``)."""
from cdisc_msc.define.consistency import check_consistency
from cdisc_msc.define.regenerate import DefineOutput, contents_from_xpt_dir, regenerate_define
from cdisc_msc.define.schema import SchemaUnavailable, parse_define, validate_define
from cdisc_msc.define.xml import DatasetContent, DefineError, contents_from_frames, define_xml, write_define

__all__ = [
    "DatasetContent", "DefineError", "DefineOutput", "SchemaUnavailable", "check_consistency",
    "contents_from_frames", "contents_from_xpt_dir", "define_xml", "parse_define", "regenerate_define",
    "validate_define", "write_define",
]
