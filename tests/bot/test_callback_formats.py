"""Callback data as the bot writes it and as a forger might: parsed strictly, never raising."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.dialogue import Answer, parse_answer

__all__: list[str] = []

_HOSTILE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=64)


@given(_HOSTILE)
def test_any_text_is_an_answer_or_nothing(data: str) -> None:
    answer = parse_answer(data)
    if answer is not None:
        assert data.startswith(f"d:{answer.ward_id}:")
        assert answer.stay_id is None or data.endswith(f":{answer.stay_id}")


@given(
    ward=st.integers(min_value=1, max_value=10**9),
    word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789+病危重", min_size=1, max_size=8),
    stay=st.integers(min_value=1, max_value=10**9),
)
def test_the_buttons_the_bot_draws_read_back(ward: int, word: str, stay: int) -> None:
    assert parse_answer(f"d:{ward}:-") == Answer(ward, None)
    assert parse_answer(f"d:{ward}:c:{word}") == Answer(ward, word)
    assert parse_answer(f"d:{ward}:b:{word}:{stay}") == Answer(ward, word, stay)
    # Anything more or less is a forgery or a stale format: nothing.
    for forged in (f"d:{ward}", f"d:x{ward}:-", f"d:{ward}:c:", f"d:{ward}:b:{word}:x{stay}"):
        assert parse_answer(forged) is None
