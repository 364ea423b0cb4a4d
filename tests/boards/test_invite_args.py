"""`/invite` arguments: how many people a link is for, or revoking the open links."""

from __future__ import annotations

import pytest

from boards.errors import BadInput
from boards.membership import MAX_INVITE_USES, parse_invite_args


@pytest.mark.parametrize(
    ("args", "uses"),
    [([], 1), (["1"], 1), (["5"], 5), (["5人"], 5), (["５"], 5), (["50"], 50)],
)
def test_a_number_of_people(args: list[str], uses: int) -> None:
    assert parse_invite_args(args) == uses


@pytest.mark.parametrize("word", ["off", "OFF", "撤销", "作废"])
def test_off_revokes(word: str) -> None:
    assert parse_invite_args([word]) is None


@pytest.mark.parametrize("word", ["0", "51", "999", "1000", "-1", "abc", "5.5", "²", "1_0"])
def test_anything_else_is_refused_with_the_bounds(word: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_invite_args([word])
    assert refused.value.key == "err.invite_uses"
    assert refused.value.params == {"max": MAX_INVITE_USES}


def test_one_argument_only() -> None:
    with pytest.raises(BadInput) as refused:
        parse_invite_args(["5", "6"])
    assert refused.value.key == "err.extra_args"
