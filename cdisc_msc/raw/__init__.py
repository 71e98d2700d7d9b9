"""Raw EDC exports: the contract (:mod:`.forms`) and the validating reader (:mod:`.readers`)."""
from cdisc_msc.raw.readers import RawStudy, field_specs, load_raw

__all__ = ["RawStudy", "field_specs", "load_raw"]
