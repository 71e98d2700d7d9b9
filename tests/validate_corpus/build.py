"""Write the clean corpus package or a broken one."""
from __future__ import annotations

from pathlib import Path

from validate_corpus.base import Corpus, write_package
from validate_corpus.defects import DEFECTS, RAW_WRITTEN, write_raw


def build(root: Path, config, rule: str | None = None) -> tuple[Path, dict]:
    """Write the package into ``root`` (clean, or with the defect of ``rule``); return it and the run params."""
    corpus = Corpus()
    defect = DEFECTS.get(rule) if rule else None
    if defect and defect.before:
        defect.before(corpus)
    if rule in RAW_WRITTEN:
        kind, name = RAW_WRITTEN[rule]
        clean = Corpus().frames[kind][name]
        broken = corpus.frames[kind][name]
        corpus.frames[kind][name] = clean
        corpus.define_frames = {k: dict(v) for k, v in corpus.frames.items()}
        corpus.define_frames[kind][name] = broken
        write_package(corpus, root, config)
        corpus.frames[kind][name] = broken
        write_raw(corpus, kind, name, root)
    else:
        write_package(corpus, root, config)
    if defect and defect.after:
        defect.after(root)
    params = defect.params(root) if defect and defect.params else {}
    return root, params
