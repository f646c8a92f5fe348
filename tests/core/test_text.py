"""core/text.py: one line to draw, and the validators of names and captions."""

import pytest
from django.core.exceptions import ValidationError

from core.posters import poster_render
from core.text import single_line, validate_single_line, validate_text_block


@pytest.mark.parametrize(
    ("raw", "drawn"),
    [
        ("李\n雷", "李 雷"),
        ("李\r\n\r\n雷", "李 雷"),
        ("  李\t雷  ", "李 雷"),
        ("a\x00b\x1bc\x7fd\x85e", "a b c d e"),
        ("李\u2028雷\u2029", "李 雷"),
        ("\u202egnp.exe", "gnp.exe"),
        ("李\ud800雷", "李 雷"),  # a lone surrogate: not even encodable
        ("李\ue000雷", "李 雷"),
        ("韩梅梅 👩‍🎤", "韩梅梅 👩‍🎤"),  # emoji with a zero-width joiner stay
        ("", ""),
    ],
)
def test_single_line(raw, drawn):
    assert single_line(raw) == drawn


@pytest.mark.parametrize("name", ["李\n雷", "a\x1bb", "\u202egnp.exe", "x\u2028y", "\ud800"])
def test_names_with_control_characters_are_refused(name):
    with pytest.raises(ValidationError):
        validate_single_line(name)


def test_ordinary_names_and_captions_pass():
    validate_single_line("韩梅梅 Han-Meimei 👩‍🎤")
    validate_text_block("第一行\n第二行\r\n第三行")
    with pytest.raises(ValidationError):
        validate_text_block("坏\x1b字")


@pytest.mark.parametrize("text", ["李\n雷", "a\rb", "\n", "\u2028", "\ud800", "\x00"])
def test_the_poster_draws_any_text(text):
    poster = poster_render(
        photo=None, name=text, campaign_title=text, share_url="https://x.cn/s/ab", share_code=text
    )
    assert poster.size == (1080, 1620)
