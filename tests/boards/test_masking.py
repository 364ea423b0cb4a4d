"""Name masking: the forms GLOSSARY.md gives, and properties over arbitrary names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boards.masking import mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("欧阳娜华", "欧**华"),
        ("  张 小三 ", "张*三"),
        ("李", "李*"),
        ("阿卜杜热合曼·买买提", "阿****提"),
        ("John Smith", "J. S***"),
        ("john ronald smith", "j. r. s***"),
        ("Madonna", "M***"),
        ("  Tan   Ah Kow ", "T. A. K***"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_examples(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_long_names_stay_short() -> None:
    assert mask_name("阿" * 40) == "阿****阿"


_names = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(categories=["Lu", "Ll"]),
        st.sampled_from(" ·"),
    ),
    max_size=50,
)


@given(_names)
def test_never_the_full_name_and_always_the_first_character(name: str) -> None:
    visible = " ".join(name.split())
    masked = mask_name(name)
    if not visible:
        assert masked == ""
        return
    assert masked[0] == visible[0]
    assert "*" in masked
    if len(visible.replace(" ", "")) >= 2:
        assert masked != visible
        assert visible not in masked
        assert visible.replace(" ", "") not in masked


@given(_names)
def test_masking_is_idempotent(name: str) -> None:
    once = mask_name(name)
    assert mask_name(once) == once
